/**
 * A replace transaction written straight from laid-out tables (table-layout.ts) as the
 * nf_tables netlink messages nft sends for the same transaction as JSON (translate-table.ts's
 * `replaceTransaction`): tables, chains, verdict maps and key sets with their elements, rules
 * (netlink-rule.ts). In the JSON's order, so that each message names the command it stands
 * for. The native helper frames and sends them as one batch. A rule outside what the compiler
 * covers throws {@link NotCompiled} (nft gets the JSON).
 */
import { writeIntervalElements } from './netlink-interval-maps.js';
import { ruleSplit } from './rule-split.js';
import { EnforcementError, UntranslatableError } from './errors.js';
import { Compat, CompatRefused, writeRuleCompat } from './netlink-compat.js';
import { NotCompiled } from './netlink-data.js';
import {
  FIELDS,
  CmpOp,
  cmpNumber,
  counter,
  lookup,
  payload,
  reject,
  verdict,
} from './netlink-expr.js';
import { REJECT_ICMP, rejectChain } from './reject-chains.js';
import { writeEffect, writeRule } from './netlink-rule.js';
import { MetaKey, metaOrCt } from './netlink-expr-packet.js';
import { writeRuleSets } from './netlink-anon-sets.js';
import { KEY_TYPE, segmentKeyTypes } from './key-types.js';
import {
  loadKey,
  writeElements,
  writeKeys,
  writeSetDeclaration,
  writeSetTest,
} from './netlink-sets.js';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NetlinkWriter } from './netlink-writer.js';
import { isEnforceableTable, OWNER_COMMENT } from './nft-layout.js';
import type { ChainLayout, TableLayout } from './table-layout.js';

/** The messages of a batch, and for each the command it came from (to name a refusal). */
export interface NetlinkBatch {
  bytes: Buffer;
  /** Index into the transaction's commands (its nft JSON), per message. */
  commandOf: number[];
  /**
   * The rule messages with nft_compat expressions, by message index: where the rule is and
   * its xt extensions (nft's JSON has no form for them, so it cannot name them).
   */
  compatRules?: Map<number, string>;
  /**
   * What its nft_compat expressions hold, by iptables table and identity (`Compat.held`), when
   * it has any.
   */
  xtHeld?: Map<string, Set<string>>;
  /**
   * The iptables tables that must be written under their own name (`Compat.plain`), when its
   * nft_compat expressions hold any.
   */
  plain?: Set<string>;
  /**
   * Of each table written under its own name (`ip raw`), how many rules it writes into each
   * chain: iptables-nft run in the namespace adds its rules to a table of that name
   * (enforcer.ts looks before a replace would drop them).
   */
  written?: Map<string, Map<string, number>>;
}

// include/uapi/linux/netfilter/nf_tables.h, netlink.h
const MSG = { newTable: 0, delTable: 2, newChain: 3, newRule: 6 };
/** The data of each kind of keyed item's map, and its lookup. */
const SET_DATA = { map: 'verdict', set: 'none', marks: 'mark' } as const;
const LOOKUP = { map: 'vmap', set: 'in', marks: 'data' } as const;
const HOOKS = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 } as const;
const TABLE_USERDATA = 6;
/**
 * The table's comment as nft stores it in NFTA_TABLE_USERDATA (libnftnl's udata: type
 * NFTNL_UDATA_TABLE_COMMENT 0, length, the string with its NUL), so `nft list` shows it too.
 */
const OWNER_UDATA = (() => {
  const text = Buffer.from(`${OWNER_COMMENT}\0`);
  return Uint8Array.of(0, text.length, ...text);
})();

/**
 * The transaction that makes the kernel hold exactly `tables` (and deletes the nft tables
 * `drop`), as netlink messages (`capacity`: the bytes expected). A table of `tables` under an
 * iptables table's own name (`ip raw`) replaces bpfilter's table of that name when `drop`
 * names it, and otherwise is created only if no table has that name.
 * `compat`: which extensions go to nft_compat (by default, those nft has no form for).
 * @throws NotCompiled for a rule only nft compiles; RangeError for an attribute past 64 KiB;
 * EnforcementError `untranslatable` for an extension nft_compat cannot run here.
 */
export function compileTransaction(
  tables: readonly TableLayout[],
  drop: readonly string[] = [],
  capacity?: number,
  spare?: ArrayBuffer,
  compat = new Compat(false),
): NetlinkBatch {
  const w = new NetlinkWriter(capacity, spare);
  const commandOf: number[] = [];
  const compatRules = new Map<number, string>();
  let command = 0;
  /** Ends the messages of one JSON command. */
  const commandDone = (before: number) => {
    for (let m = before; m < w.count; m++) commandOf.push(command);
    command++;
  };
  const tableMessage = (type: number, flags: number, name: string, owned = false) => {
    const before = w.count;
    w.begin(type, flags);
    w.string(1, name);
    if (owned) w.bytesAttr(TABLE_USERDATA, OWNER_UDATA);
    w.end();
    commandDone(before);
  };
  const written = new Set(tables.map((t) => t.nftTable));
  for (const name of drop) {
    if (written.has(name)) continue;
    tableMessage(MSG.newTable, NLM_F_CREATE, name);
    tableMessage(MSG.delTable, 0, name);
  }
  let setCount = 0;
  const ruleCounts = new Map<string, Map<string, number>>();
  for (const table of tables) {
    const { nftTable, facts } = table;
    const counts = isEnforceableTable(nftTable) ? new Map<string, number>() : undefined;
    if (counts) ruleCounts.set(nftTable, counts);
    const counted = (chain: string) => counts?.set(chain, (counts.get(chain) ?? 0) + 1);
    compat.table = table.table;
    // A plainly-named table not already bpfilter's must not exist: the kernel refuses the
    // whole batch (EEXIST) if another program made one after the service looked.
    const foreign = isEnforceableTable(nftTable) && !drop.includes(nftTable);
    tableMessage(MSG.newTable, NLM_F_CREATE | (foreign ? NLM_F_EXCL : 0), nftTable);
    tableMessage(MSG.delTable, 0, nftTable);
    tableMessage(MSG.newTable, NLM_F_CREATE, nftTable, true);
    for (const chain of table.chains) {
      let before = w.count;
      writeChain(w, nftTable, chain);
      commandDone(before);
      for (const item of chain.items) {
        if (item.kind !== 'segment') continue;
        before = w.count;
        writeChain(w, nftTable, { name: item.chain });
        commandDone(before);
      }
    }
    for (const type of table.rejectTypes) {
      const before = w.count;
      writeChain(w, nftTable, { name: rejectChain(type) });
      commandDone(before);
    }
    const setIds = new Map<string, number>();
    const addSet = (name: string, write: (id: number) => void, elements: (id: number) => void) => {
      const id = ++setCount;
      setIds.set(name, id);
      let before = w.count;
      write(id);
      commandDone(before);
      before = w.count;
      elements(id);
      commandDone(before);
    };
    for (const chain of table.chains)
      for (const item of chain.items) {
        if (item.kind !== 'segment' && item.kind !== 'rule') {
          const types = item.shape.fields.map((f) => KEY_TYPE[f]);
          const interval = item.shape.interval === true;
          const data = SET_DATA[item.kind];
          addSet(
            item.name,
            (id) =>
              writeSetDeclaration(w, nftTable, item.name, types, id, data, interval, true, {
                size: interval ? 0 : item.members.length,
              }),
            (id) =>
              interval
                ? writeIntervalElements(
                    w,
                    { table: nftTable, name: item.name, id, types },
                    facts,
                    chain.first,
                    item,
                  )
                : writeElements(w, nftTable, item.name, id, types, facts, chain.first, item),
          );
        } else if (item.kind === 'segment') {
          item.shapes.forEach((shape, i) => {
            const name = item.sets[i]!;
            const types = segmentKeyTypes(shape.shape);
            addSet(
              name,
              (id) =>
                writeSetDeclaration(w, nftTable, name, types, id, 'none', false, false, {
                  size: shape.keys.length,
                }),
              (id) => writeKeys(w, nftTable, name, id, types, facts, chain.first, shape),
            );
          });
        }
      }
    /** The start of the rule messages of each chain, to its expression list's header. */
    const ruleHeads = new Map<string, Uint8Array>();
    for (const chain of table.chains) {
      const rule = (into: string, body: () => void, entry?: number) => {
        const before = w.count;
        if (entry !== undefined)
          writeRuleSets(w, nftTable, facts.bytes, facts.offsets[entry]!, () => ++setCount);
        const head = ruleHeads.get(into);
        let list: number;
        if (head === undefined) {
          const start = w.length;
          w.begin(MSG.newRule, NLM_F_CREATE | NLM_F_APPEND);
          w.string(1, nftTable);
          w.string(2, into);
          list = w.open(4);
          ruleHeads.set(into, w.since(start));
        } else {
          w.beginWith(head);
          list = w.length - 4;
        }
        counted(into);
        body();
        w.close(list);
        if (entry !== undefined && compat.rule.length > 0) {
          writeRuleCompat(w, facts.bytes, facts.offsets[entry]!);
          const where = `rule ${entry - chain.first + 1} of chain ${chain.rulesOf ?? chain.name}`;
          compatRules.set(before, `${where} (${compat.rule.join(', ')}, nft_compat)`);
          compat.rule = [];
        }
        w.end();
        commandDone(before);
      };
      for (const item of chain.items) {
        if (item.kind === 'rule') {
          const entry = chain.first + item.index;
          located(table, chain, item.index, () => {
            const split = ruleSplit(facts.bytes, facts.offsets[entry]!);
            // nft JSON names why a split would not be exact.
            if (!split.exact) throw new NotCompiled('a rule split in two');
            for (let a = 0; a < split.rules; a++)
              rule(
                chain.name,
                () =>
                  compatRule(table, chain, item.index, () => writeRule(w, facts, entry, a, compat)),
                entry,
              );
          });
        } else if (item.kind === 'segment') {
          const { shapes, sets } = item;
          shapes.forEach((_, i) =>
            rule(chain.name, () => {
              writeSetTest(w, shapes[i]!.shape, sets[i]!, setIds, 'in');
              for (let b = 0; b < i; b++)
                writeSetTest(w, shapes[b]!.shape, sets[b]!, setIds, 'not-in');
              verdict(w, 'jump', item.chain);
            }),
          );
          for (const index of item.members)
            rule(item.chain, () => writeRule(w, facts, chain.first + index));
        } else {
          const set = item.kind === 'set';
          // A counted set's rule: the lookup, then its members' target once (the first's).
          const effect = chain.first + item.members[0]!;
          rule(
            chain.name,
            () => {
              const { protocol, fields } = item.shape;
              if (protocol !== 0) {
                payload(w, FIELDS.protocol);
                cmpNumber(w, CmpOp.eq, 1, protocol);
              } else if (fields.includes('sport') || fields.includes('dport'))
                throw new NotCompiled('transport field without its protocol');
              loadKey(w, fields);
              lookup(w, item.name, setIds.get(item.name)!, LOOKUP[item.kind]);
              if (item.kind === 'marks') metaOrCt(w, 'meta', MetaKey.mark, 'set');
              if (set)
                compatRule(table, chain, item.members[0]!, () =>
                  writeEffect(w, facts, effect, protocol, compat),
                );
            },
            set ? effect : undefined,
          );
        }
      }
      if (chain.rulesIn !== undefined) rule(chain.name, () => verdict(w, 'jump', chain.rulesIn!));
      rule(chain.name, () => {
        counter(w);
        if (chain.policy !== undefined) verdict(w, chain.policy);
      });
    }
    for (const type of table.rejectTypes) {
      const before = w.count;
      w.begin(MSG.newRule, NLM_F_CREATE | NLM_F_APPEND);
      w.string(1, nftTable);
      w.string(2, rejectChain(type));
      counted(rejectChain(type));
      const list = w.open(4);
      reject(w, 0, REJECT_ICMP[type]!);
      w.close(list);
      w.end();
      commandDone(before);
    }
  }
  return compatRules.size > 0
    ? {
        bytes: w.bytes(),
        commandOf,
        compatRules,
        xtHeld: compat.held,
        plain: compat.plain,
        written: ruleCounts,
      }
    : { bytes: w.bytes(), commandOf };
}

/** Runs `write` for rule `index` of `chain`; an extension nft_compat cannot run is refused there. */
function compatRule(table: TableLayout, chain: ChainLayout, index: number, write: () => void) {
  try {
    write();
  } catch (error) {
    if (!(error instanceof CompatRefused)) throw error;
    throw new EnforcementError(
      'untranslatable',
      `bpfilter enforcement: cannot enforce rule ${index + 1} of chain ${chain.rulesOf ?? chain.name} in table "${table.table}": ${error.message}`,
      { table: table.table, extension: error.extension, cause: error },
    );
  }
}

/**
 * A rule the compiler could not write, and where it is: when its table also needs nft_compat,
 * nft's JSON cannot take the table instead, and the refusal names this rule (compile-table.ts).
 */
export class NotCompiledRule extends NotCompiled {
  constructor(
    /** The laid-out table. */
    readonly table: TableLayout,
    /** The chain (its items' chain) and the rule's index in it. */
    readonly chain: ChainLayout,
    readonly index: number,
    /** Why: a NotCompiled, a RangeError (an attribute past 64 KiB) or an UntranslatableError. */
    readonly reason: Error,
  ) {
    super(`rule ${index + 1} of chain ${chain.rulesOf ?? chain.name}: ${reason.message}`);
  }
}

/** Runs `write` for rule `index` of `chain`; what the compiler cannot write says where it is. */
function located(table: TableLayout, chain: ChainLayout, index: number, write: () => void) {
  try {
    write();
  } catch (error) {
    if (error instanceof NotCompiledRule) throw error;
    if (
      error instanceof NotCompiled ||
      error instanceof RangeError ||
      error instanceof UntranslatableError
    )
      throw new NotCompiledRule(table, chain, index, error);
    throw error;
  }
}

function writeChain(
  w: NetlinkWriter,
  table: string,
  chain: Pick<ChainLayout, 'name' | 'spec' | 'policy'>,
): void {
  w.begin(MSG.newChain, NLM_F_CREATE);
  w.string(1, table);
  w.string(3, chain.name);
  const { spec, policy } = chain;
  if (spec !== undefined) {
    const hook = w.open(4);
    w.u32(1, HOOKS[spec.hook]);
    w.u32(2, spec.prio);
    w.close(hook);
    if (policy !== undefined) w.u32(5, policy === 'accept' ? 1 : 0);
    w.string(7, spec.type);
  }
  w.end();
}
