/**
 * The extensions xt-packet.ts reads, written as the nf_tables expressions nft installs for
 * raw-packet.ts's JSON of the same rule (the netlink test compares nft's listing after
 * either): limit, statistic, length, ttl, pkttype, mac, tos, dscp, tcpmss, owner, connmark;
 * TCPMSS, CONNMARK, DSCP, TTL, CLASSIFY, the nat targets (netlink-nat.ts), LOG and NFLOG
 * (netlink-log.ts).
 */
import { NotCompiled } from './netlink-data.js';
import {
  bitwiseNumber,
  CmpOp,
  cmpBytes,
  cmpNumber,
  counter,
  inRange,
  payload,
} from './netlink-expr.js';
import {
  CT_MARK,
  cmpHost,
  hton,
  immediateAt,
  limit,
  MetaKey,
  type PacketWriter,
  maskedHost,
  maskXorAt,
  metaOrCt,
  numgenInc,
  rewriteWord,
  routeTcpMss,
  tcpMss,
} from './netlink-expr-packet.js';
import { LOG_TARGETS } from './netlink-log.js';
import { NAT_TARGETS } from './netlink-nat.js';
import { STEERING_MATCHES, STEERING_TARGETS } from './netlink-steering.js';
import type { NetlinkWriter } from './netlink-writer.js';
import type { TtlStep } from './ttl-steps.js';
import {
  classifyOf,
  type CompareOp,
  connmarkOf,
  connmarkTargetOf,
  dscpOf,
  dscpTargetOf,
  lengthOf,
  limitOf,
  macOf,
  ownerOf,
  pkttypeOf,
  type RangeTest,
  statisticOf,
  tcpmssOf,
  tcpmssTargetOf,
  tosOf,
  ttlOf,
  ttlTargetOf,
} from './xt-packet.js';

const TCP = 6;
const OPS: Record<CompareOp, number> = {
  '==': CmpOp.eq,
  '!=': CmpOp.neq,
  '<': CmpOp.lt,
  '>': CmpOp.gt,
  '>=': CmpOp.gte,
};
const scratch = Buffer.alloc(8);

/** Register 1 (`len` bytes, network order) in `test`'s range or equal to its value. */
function range(w: NetlinkWriter, len: number, test: RangeTest): void {
  if (test.min === test.max) return cmpNumber(w, test.invert ? CmpOp.neq : CmpOp.eq, len, test.min);
  scratch.writeUIntBE(test.min, 0, len);
  scratch.writeUIntBE(test.max, len, len);
  inRange(w, !test.invert, len, scratch, 0, len);
}

/** The owner's uid or gid: nft compares a range in network order, one id in host order. */
function ownerId(w: NetlinkWriter, key: number, test: RangeTest): void {
  metaOrCt(w, 'meta', key, 'load');
  if (test.min === test.max) return cmpHost(w, CmpOp.eq, test.min);
  hton(w, 4, 4);
  range(w, 4, test);
}

const NETWORK_TOS = { base: 1, offset: 1, len: 1 } as const;
const NETWORK_TTL = { base: 1, offset: 8, len: 1 } as const;

const MATCHES = new Map<string, PacketWriter>([
  ...STEERING_MATCHES,
  [
    'limit',
    (w, d, r) => {
      const { rate, seconds, burst } = limitOf(d, r);
      limit(w, rate, seconds, burst);
    },
  ],
  [
    'statistic',
    (w, d, r) => {
      const test = statisticOf(d, r);
      if (test === undefined) return;
      if (test.mode === 'random') {
        metaOrCt(w, 'meta', MetaKey.prandom, 'load');
        return cmpNumber(w, OPS[test.op], 4, test.below);
      }
      numgenInc(w, test.modulus);
      cmpHost(w, OPS[test.op], test.value);
    },
  ],
  [
    'length',
    (w, d, r) => {
      payload(w, { base: 1, offset: 2, len: 2 });
      range(w, 2, lengthOf(d, r));
    },
  ],
  [
    'ttl',
    (w, d, r) => {
      const { op, ttl } = ttlOf(d, r);
      payload(w, NETWORK_TTL);
      cmpNumber(w, OPS[op], 1, ttl);
    },
  ],
  [
    'pkttype',
    (w, d, r) => {
      const { type, invert } = pkttypeOf(d, r);
      metaOrCt(w, 'meta', MetaKey.pkttype, 'load');
      cmpNumber(w, invert ? CmpOp.neq : CmpOp.eq, 1, type);
    },
  ],
  [
    'mac',
    (w, d, r) => {
      const { address, invert } = macOf(d, r);
      // nft's dependency of a link-layer field: Ethernet input (ARPHRD_ETHER, host order).
      metaOrCt(w, 'meta', MetaKey.iiftype, 'load');
      cmpBytes(w, CmpOp.eq, Uint8Array.of(1, 0));
      payload(w, { base: 0, offset: 6, len: 6 });
      cmpBytes(w, invert ? CmpOp.neq : CmpOp.eq, address);
    },
  ],
  [
    'tos',
    (w, d, r) => {
      const { mask, value, invert } = tosOf(d, r);
      payload(w, NETWORK_TOS);
      if (mask !== 0xff) bitwiseNumber(w, 1, mask);
      cmpNumber(w, invert ? CmpOp.neq : CmpOp.eq, 1, value);
    },
  ],
  [
    'dscp',
    (w, d, r) => {
      const { dscp, invert } = dscpOf(d, r);
      payload(w, NETWORK_TOS);
      bitwiseNumber(w, 1, 0xfc);
      cmpNumber(w, invert ? CmpOp.neq : CmpOp.eq, 1, dscp << 2);
    },
  ],
  [
    'tcpmss',
    (w, d, r) => {
      const test = tcpmssOf(d, r);
      tcpMss(w, 'load');
      range(w, 2, test);
    },
  ],
  [
    'owner',
    (w, d, r) => {
      const { uid, gid } = ownerOf(d, r);
      if (uid) ownerId(w, MetaKey.skuid, uid);
      if (gid) ownerId(w, MetaKey.skgid, gid);
    },
  ],
  [
    'connmark',
    (w, d, r) => {
      const { mask, value, invert } = connmarkOf(d, r);
      metaOrCt(w, 'ct', CT_MARK, 'load');
      maskedHost(w, mask, value, invert);
    },
  ],
]);

const TARGETS = new Map<string, PacketWriter>([
  ...NAT_TARGETS,
  ...STEERING_TARGETS,
  ...LOG_TARGETS,
  [
    'TCPMSS',
    (w, d, r, protocol) => {
      const mss = tcpmssTargetOf(d, r);
      if (protocol !== TCP) throw new NotCompiled('TCPMSS without -p tcp');
      if (mss === 'pmtu') {
        routeTcpMss(w);
        hton(w, 2, 2);
      } else {
        const at = immediateAt(w, 2);
        w.buffer.writeUInt16BE(mss, at);
      }
      tcpMss(w, 'write');
    },
  ],
  [
    'CONNMARK',
    (w, d, r) => {
      const action = connmarkTargetOf(d, r);
      if (action.mode === 'save') {
        metaOrCt(w, 'meta', MetaKey.mark, 'load');
        return metaOrCt(w, 'ct', CT_MARK, 'set');
      }
      metaOrCt(w, 'ct', CT_MARK, 'load');
      if (action.mode === 'restore') return metaOrCt(w, 'meta', MetaKey.mark, 'set');
      const [mask, xor] = maskXorAt(w, 4);
      w.buffer.writeUInt32LE(~action.mask >>> 0, mask);
      w.buffer.writeUInt32LE(action.value >>> 0, xor);
      metaOrCt(w, 'ct', CT_MARK, 'set');
    },
  ],
  // nft rewrites the 16-bit word the field is in: the version, header length and ECN kept.
  ['DSCP', (w, d, r) => rewriteWord(w, 0, 0xff03, dscpTargetOf(d, r) << 2)],
  // ... the protocol kept.
  ['TTL', (w, d, r) => rewriteWord(w, 8, 0x00ff, ttlTargetOf(d, r) << 8)],
  [
    'CLASSIFY',
    (w, d, r) => {
      const at = immediateAt(w, 4);
      w.buffer.writeUInt32LE(classifyOf(d, r), at);
      metaOrCt(w, 'meta', MetaKey.priority, 'set');
    },
  ],
]);

/** One rule of a `-j TTL --ttl-inc/--ttl-dec` (ttl-steps.ts): its old TTLs, counter, new TTL. */
export function writeTtlStep(w: NetlinkWriter, step: TtlStep): void {
  payload(w, NETWORK_TTL);
  range(w, 1, { min: step.from, max: step.to, invert: false });
  counter(w);
  rewriteWord(w, 8, 0x00ff, step.set << 8);
}

const WRITERS = { match: MATCHES, target: TARGETS };

/** Writes match or target `name` if it is one of this module's; whether it was. */
export function writePacketExtension(
  kind: 'match' | 'target',
  w: NetlinkWriter,
  name: string,
  data: Uint8Array,
  revision: number,
  protocol: number,
): boolean {
  const writer = WRITERS[kind].get(name);
  writer?.(w, data, revision, protocol);
  return writer !== undefined;
}
