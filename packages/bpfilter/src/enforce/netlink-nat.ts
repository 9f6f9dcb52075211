/**
 * The nat targets (DNAT, SNAT, MASQUERADE, REDIRECT) written as the nf_tables expressions nft
 * sends for raw-targets.ts's statements (`dnat to`, `snat to`, `masquerade`, `redirect to`):
 * the addresses and ports as immediates into registers 1, 2, ... (first address, last
 * address, first port, last port, those there are), then the `nat`, `masq` or `redir`
 * expression naming the registers, with its flags (nft adds PROTO_SPECIFIED for a port; the
 * kernel adds MAP_IPS for an address). Attribute for attribute what `nft --debug=mnl` shows
 * for the same rule (include/uapi/linux/netfilter/nf_tables.h: NFTA_NAT_*, NFTA_MASQ_*,
 * NFTA_REDIR_*).
 */
import { NatRangeFlag, parseIpv4 } from '../abi/index.js';
import { NotCompiled } from './netlink-data.js';
import { beginExpr, endExpr, REG_1 } from './netlink-expr.js';
import { immediateAt } from './netlink-expr-packet.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { NAT_KIND, type NatStatement, natStatement } from './raw-targets.js';

const NFPROTO_IPV4 = 2;
const NFT_NAT_SNAT = 0;
const NFT_NAT_DNAT = 1;
const NAT = { type: 1, family: 2, addrMin: 3, addrMax: 4, protoMin: 5, protoMax: 6, flags: 7 };
const MASQ = { flags: 1, protoMin: 2, protoMax: 3 };
const REDIR = { protoMin: 1, protoMax: 2, flags: 3 };
/** Protocols whose ports nat maps (nft refuses a port without a transport protocol). */
const PORTED = new Set([6 /* tcp */, 17 /* udp */]);

/** The first register, then the last if it differs: the registers a range was loaded into. */
function load(
  w: NetlinkWriter,
  [first, last]: readonly [number, number],
  reg: number,
  write: (value: number, at: number) => void,
  len: number,
): number[] {
  write(first, immediateAt(w, len, reg));
  if (first === last) return [reg];
  write(last, immediateAt(w, len, reg + 1));
  return [reg, reg + 1];
}

/**
 * Writes `nat` (`protocol`: the rule's `-p`, not inverted, or 0).
 * @throws NotCompiled for a port without `-p tcp`/`-p udp` (nft's JSON names the refusal).
 */
function writeNat(w: NetlinkWriter, nat: NatStatement, protocol: number): void {
  const { kind, addr, port } = nat;
  if (port && !PORTED.has(protocol)) throw new NotCompiled('a nat port without -p tcp/udp');
  const addrs = addr
    ? load(
        w,
        [parseIpv4(addr[0]), parseIpv4(addr[1])],
        REG_1,
        (v, at) => w.buffer.writeUInt32BE(v, at),
        4,
      )
    : [];
  const ports = port
    ? load(w, port, REG_1 + addrs.length, (v, at) => w.buffer.writeUInt16BE(v, at), 2)
    : [];
  const flags = nat.flags | (port ? NatRangeFlag.PROTO_SPECIFIED : 0);
  /** Attributes `types` naming `regs`, those there are. */
  const regs = (types: readonly number[], values: number[]) =>
    values.forEach((reg, i) => w.u32(types[i]!, reg));
  if (kind === 'dnat' || kind === 'snat') {
    const e = beginExpr(w, 'nat');
    w.u32(NAT.type, kind === 'dnat' ? NFT_NAT_DNAT : NFT_NAT_SNAT);
    w.u32(NAT.family, NFPROTO_IPV4);
    regs([NAT.addrMin, NAT.addrMax], addrs);
    regs([NAT.protoMin, NAT.protoMax], ports);
    if (flags !== 0) w.u32(NAT.flags, flags);
    endExpr(w, e);
  } else if (kind === 'masquerade') {
    const e = beginExpr(w, 'masq');
    if (flags !== 0) w.u32(MASQ.flags, flags);
    regs([MASQ.protoMin, MASQ.protoMax], ports);
    endExpr(w, e);
  } else {
    const e = beginExpr(w, 'redir');
    regs([REDIR.protoMin, REDIR.protoMax], ports);
    if (flags !== 0) w.u32(REDIR.flags, flags);
    endExpr(w, e);
  }
}

/** The nat targets' writers (netlink-packet.ts's targets). */
export const NAT_TARGETS = Object.keys(NAT_KIND).map(
  (name) =>
    [
      name,
      (w: NetlinkWriter, data: Uint8Array, revision: number, protocol: number) =>
        writeNat(w, natStatement(name, data, revision)!, protocol),
    ] as const,
);
