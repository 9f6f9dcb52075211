/**
 * nft_compat: the kernel's own xt match or target run inside an nf_tables rule (the `match`
 * and `target` expressions of include/uapi/linux/netfilter/nf_tables_compat.h), as
 * iptables-nft does for the extensions nftables has no form for. Written from the entry's own
 * xt_entry_match/xt_entry_target: name, revision and info bytes, the very bytes the legacy
 * tables would get, so the kernel runs the same xt module on the same parameters.
 *
 * What the kernel checks (net/netfilter/nft_compat.c, x_tables.c): the extension and revision
 * exist (ENOENT), the info is the aligned size of the extension's own (EINVAL), its
 * checkentry accepts it, the base chain's hook is one it allows, its protocol is the rule's
 * (NFTA_RULE_COMPAT carries `-p` and its `!`), and a target that names the iptables table it
 * belongs to (`.table`) runs in an nft table of that very name: nft_compat passes the nft
 * table's name. So a table holding such an extension (bound to it, or whose checkentry tests
 * the name, as xt_rpfilter's does) is written under the iptables table's own name
 * (`Compat.plain`), as iptables-nft writes it; one bound to another table is refused by name.
 */
import { IPT_INV_PROTO, IptEntryOffset, readU16 } from '../abi/index.js';
import { objectData, objectName } from '../model/entry-index.js';
import { UntranslatableError } from './errors.js';
import { EXPR_DATA, EXPR_NAME, NotCompiled } from './netlink-data.js';
import { NETLINK_ONLY } from './netlink-steering.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { refusedByNft } from './translate-rule.js';

// include/uapi/linux/netfilter/nf_tables.h, nf_tables_compat.h
const LIST_ELEM = 1;
const INFO = { name: 1, rev: 2, info: 3 };
const RULE_COMPAT = 5;
const COMPAT_PROTO = 1;
const COMPAT_FLAGS = 2;
const COMPAT_F_INV = 1 << 1;

/**
 * Targets whose xt module is bound to one iptables table (`.table` in the kernel's
 * registration, checked by xt_check_target against the nft table's name): through nft_compat
 * only in an nft table of that name.
 */
const TABLE_BOUND: Record<string, string> = {
  CHECKSUM: 'mangle',
  DNAT: 'nat',
  SNAT: 'nat',
  MASQUERADE: 'nat',
  REDIRECT: 'nat',
  NETMAP: 'nat',
  REJECT: 'filter',
  CT: 'raw',
  NOTRACK: 'raw',
  TTL: 'mangle',
  DSCP: 'mangle',
  TOS: 'mangle',
  ECN: 'mangle',
  TPROXY: 'mangle',
  TCPOPTSTRIP: 'mangle',
};

/**
 * Extensions whose checkentry tests the table's name itself, and the names it takes: in
 * those tables they are written under the table's own name; elsewhere the kernel refuses
 * them (EINVAL), and a refusal names why.
 */
const CHECKED_TABLE: Record<string, readonly string[]> = {
  rpfilter: ['raw', 'mangle'],
  SECMARK: ['mangle', 'security'],
  CONNSECMARK: ['mangle', 'security'],
};

/**
 * The table names an extension's checkentry takes, when it tests the name: CHECKED_TABLE's,
 * and xt_SET revision 3's with a `--map-set` (its map_set index, host order, not
 * IPSET_INVALID_ID), which set_target_v3_checkentry allows only in a table named mangle.
 */
function checkedTables(
  kind: 'match' | 'target',
  name: string,
  revision: number,
  info: Uint8Array,
): readonly string[] | undefined {
  if (kind === 'target' && name === 'SET')
    return revision === 3 && info.length >= 10 && readU16(info, 8) !== 0xffff
      ? ['mangle']
      : undefined;
  return CHECKED_TABLE[name];
}

/** An extension nft_compat cannot run in bpfilter's nft tables (a refusal, by name). */
export class CompatRefused extends Error {
  constructor(
    readonly extension: string,
    why: string,
  ) {
    super(`${extension}: ${why}`);
  }
}

/** The nft_compat state of one transaction. */
export class Compat {
  /** Extensions in the current rule that went to nft_compat (`xt match recent rev 0`). */
  rule: string[] = [];
  /**
   * How many went there because nft has no form for them (not just this compiler), or one
   * a kernel may lack (`-j QUEUE` where it has no nft_queue).
   */
  needed = 0;
  /**
   * What the transaction's xt extensions hold in the kernel, by iptables table, each by its
   * identity (kind, name, revision, info bytes: xt_set's set index, xt_recent's list name...):
   * a later replace of a table that keeps all it held lets go of nothing (enforcer.ts).
   */
  readonly held = new Map<string, Set<string>>();
  /** The iptables table whose rules are being written. */
  table = '';
  /**
   * The iptables tables holding an xt extension that runs only in an nft table of their own
   * name: they must be written under it (compile-table.ts compiles them again if they were not).
   */
  readonly plain = new Set<string>();

  /** Records that the current table holds `identity` through an xt extension. */
  hold(identity: string): void {
    const held = this.held.get(this.table) ?? new Set<string>();
    this.held.set(this.table, held.add(identity));
  }

  /**
   * `all`: every extension this compiler does not write goes to nft_compat too (a table that
   * needs nft_compat cannot go to `nft -j -f`); otherwise only those nft has no form for.
   */
  constructor(readonly all: boolean) {}
}

/**
 * Writes the match or target at `pos` natively, or, when `native` cannot, as an nft_compat
 * expression: for an extension nft has no form for (or refuses these options of), and for
 * any other when `compat.all`.
 * @throws CompatRefused for a target bound to an iptables table.
 */
export function nativeOrCompat(
  w: NetlinkWriter,
  compat: Compat,
  kind: 'match' | 'target',
  b: Uint8Array,
  pos: number,
  native: () => void,
): void {
  const mark = w.length;
  try {
    native();
    // A statement nft's JSON cannot hold keeps this table off `nft -j -f`.
    if (compat.all && kind === 'target' && NETLINK_ONLY.has(objectName(b, pos))) compat.needed++;
  } catch (error) {
    const name = objectName(b, pos);
    const nftHasNoForm =
      error instanceof UntranslatableError ||
      (error instanceof NotCompiled &&
        refusedByNft(kind, { name, revision: b[pos + 31]!, data: objectData(b, pos) }));
    // The standard target's verdicts have no xt module (nft_compat refuses it); a target
    // bound to a table that nft's JSON writes goes there with its table.
    const bound = kind === 'target' ? TABLE_BOUND[name] : undefined;
    if (name === '' || !(nftHasNoForm || (compat.all && error instanceof NotCompiled && !bound)))
      throw error;
    if (bound === compat.table) compat.plain.add(bound);
    else if (bound !== undefined) {
      // A reader's refusal names the option and why nft cannot say it.
      const why =
        error instanceof UntranslatableError && error.extension === `-j ${name}`
          ? error.message.slice(error.extension.length + 2)
          : 'nft has no form for it here';
      throw new CompatRefused(
        `-j ${name}`,
        `${why}, and its xt module runs only in the iptables table "${bound}", not "${compat.table}" (xt_check_target compares that with the nf_tables table's name)`,
      );
    }
    w.rewind(mark);
    writeCompat(w, compat, kind, b, pos);
    if (nftHasNoForm) compat.needed++;
  }
}

function writeCompat(
  w: NetlinkWriter,
  compat: Compat,
  kind: 'match' | 'target',
  b: Uint8Array,
  pos: number,
): void {
  writeXt(w, compat, kind, objectName(b, pos), b[pos + 31]!, objectData(b, pos));
}

/** xt_NFQUEUE revision 0's info for queue 0 (`struct xt_NFQ_info`, aligned to 8). */
const QUEUE_0 = new Uint8Array(8);

/**
 * `-j QUEUE` (the standard target's NF_QUEUE verdict) as `-j NFQUEUE --queue-num 0`, which
 * xt_NFQUEUE answers with the same verdict (NF_QUEUE_NR(0) is NF_QUEUE): nft's own `queue`
 * needs nft_queue, which not every kernel has (CONFIG_NFT_QUEUE).
 */
export function writeQueue(w: NetlinkWriter, compat: Compat): void {
  writeXt(w, compat, 'target', 'NFQUEUE', 0, QUEUE_0);
  compat.needed++;
}

function writeXt(
  w: NetlinkWriter,
  compat: Compat,
  kind: 'match' | 'target',
  name: string,
  revision: number,
  info: Uint8Array,
): void {
  const element = w.open(LIST_ELEM);
  w.string(EXPR_NAME, kind);
  const data = w.open(EXPR_DATA);
  w.string(INFO.name, name);
  w.u32(INFO.rev, revision);
  w.bytesAttr(INFO.info, info);
  w.close(data);
  w.close(element);
  const hex = Buffer.from(info.buffer, info.byteOffset, info.byteLength).toString('hex');
  compat.hold(`${kind} ${name} ${revision} ${hex}`);
  const checked = checkedTables(kind, name, revision, info);
  const why = checked && !checked.includes(compat.table);
  if (checked && !why) compat.plain.add(compat.table);
  compat.rule.push(
    `xt ${kind} ${name} revision ${revision}${why ? `: xt_${name} runs only in tables named ${checked.join(' or ')}` : ''}`,
  );
}

/**
 * NFTA_RULE_COMPAT of the rule of the entry at `at`: its `-p` and whether it is inverted,
 * which xt_check_match/target compare with an extension's protocol (xt_tcp needs `-p tcp`).
 */
export function writeRuleCompat(w: NetlinkWriter, b: Uint8Array, at: number): void {
  const mark = w.open(RULE_COMPAT);
  w.u32(COMPAT_PROTO, readU16(b, at + IptEntryOffset.proto));
  const inverted = (b[at + IptEntryOffset.invflags]! & IPT_INV_PROTO) !== 0;
  w.u32(COMPAT_FLAGS, inverted ? COMPAT_F_INV : 0);
  w.close(mark);
}
