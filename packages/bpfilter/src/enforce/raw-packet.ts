/**
 * nft JSON of the extensions xt-packet.ts reads (limit, statistic, length, ttl, pkttype, mac,
 * tos, dscp, tcpmss, owner, connmark; TCPMSS, CONNMARK, DSCP, TTL, CLASSIFY, NFLOG), as an
 * nftables user writes
 * them. netlink-packet.ts writes the same rules as netlink messages.
 */
import { and, match, meta, type NftExpr, payload, rangeOrValue } from './nft-expr.js';
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
  nflogOf,
  ownerOf,
  PKTTYPE_NAMES,
  pkttypeOf,
  type RangeTest,
  statisticOf,
  tcpmssOf,
  tcpmssTargetOf,
  tosOf,
  ttlOf,
  ttlTargetOf,
} from './xt-packet.js';

type Translator = (data: Uint8Array, revision: number) => NftExpr[];

const cmp = (left: unknown, op: CompareOp, right: unknown): NftExpr =>
  ({ match: { op, left, right } }) as NftExpr;

function range(left: unknown, test: RangeTest): NftExpr {
  return match(left, test.invert ? '!=' : '==', rangeOrValue(test.min, test.max));
}

/** `left & mask OP value`, without the `&` for a full mask (nft drops it too). */
function masked(left: unknown, mask: number, full: number, op: '==' | '!=', value: number) {
  return match(mask === full ? left : and(left, mask), op, value);
}

const TCP_MSS = { 'tcp option': { name: 'maxseg', field: 'size' } };
const CT_MARK = { ct: { key: 'mark' } };

/** The match translators of this module, by extension name. */
export const PACKET_MATCHES: [string, Translator][] = [
  [
    'limit',
    (d, r) => {
      const { rate, unit, burst } = limitOf(d, r);
      return [{ limit: { rate, burst, per: unit } }];
    },
  ],
  [
    'statistic',
    (d, r) => {
      const test = statisticOf(d, r);
      if (test === undefined) return [];
      if (test.mode === 'random') return [cmp(meta('random'), test.op, test.below)];
      const numgen = { numgen: { mode: 'inc', mod: test.modulus, offset: 0 } };
      return [cmp(numgen, test.op, test.value)];
    },
  ],
  ['length', (d, r) => [range(payload('ip', 'length'), lengthOf(d, r))]],
  [
    'ttl',
    (d, r) => {
      const { op, ttl } = ttlOf(d, r);
      return [cmp(payload('ip', 'ttl'), op, ttl)];
    },
  ],
  [
    'pkttype',
    (d, r) => {
      const { type, invert } = pkttypeOf(d, r);
      return [match(meta('pkttype'), invert ? '!=' : '==', PKTTYPE_NAMES[type])];
    },
  ],
  [
    'mac',
    (d, r) => {
      const { address, invert } = macOf(d, r);
      const text = [...address].map((b) => b.toString(16).padStart(2, '0')).join(':');
      return [match(payload('ether', 'saddr'), invert ? '!=' : '==', text)];
    },
  ],
  [
    'tos',
    (d, r) => {
      const { mask, value, invert } = tosOf(d, r);
      const tos = { payload: { base: 'nh', offset: 8, len: 8 } };
      return [masked(tos, mask, 0xff, invert ? '!=' : '==', value)];
    },
  ],
  [
    'dscp',
    (d, r) => {
      const { dscp, invert } = dscpOf(d, r);
      return [match(payload('ip', 'dscp'), invert ? '!=' : '==', dscp)];
    },
  ],
  ['tcpmss', (d, r) => [range(TCP_MSS, tcpmssOf(d, r))]],
  [
    'owner',
    (d, r) => {
      const { uid, gid } = ownerOf(d, r);
      return [
        ...(uid ? [range(meta('skuid'), uid)] : []),
        ...(gid ? [range(meta('skgid'), gid)] : []),
      ];
    },
  ],
  [
    'connmark',
    (d, r) => {
      const { mask, value, invert } = connmarkOf(d, r);
      return [masked(CT_MARK, mask, 0xffffffff, invert ? '!=' : '==', value)];
    },
  ],
];

/** The target translators of this module, by extension name. */
export const PACKET_TARGETS: [string, Translator][] = [
  [
    'TCPMSS',
    (d, r) => {
      const mss = tcpmssTargetOf(d, r);
      // Like xt_TCPMSS, nft's option write never raises the MSS a segment carries.
      return [{ mangle: { key: TCP_MSS, value: mss === 'pmtu' ? { rt: { key: 'mtu' } } : mss } }];
    },
  ],
  [
    'CONNMARK',
    (d, r) => {
      const action = connmarkTargetOf(d, r);
      if (action.mode === 'save') return [{ mangle: { key: CT_MARK, value: meta('mark') } }];
      if (action.mode === 'restore') return [{ mangle: { key: meta('mark'), value: CT_MARK } }];
      const kept = and(CT_MARK, ~action.mask >>> 0);
      return [{ mangle: { key: CT_MARK, value: { '^': [kept, action.value] } } }];
    },
  ],
  ['DSCP', (d, r) => [{ mangle: { key: payload('ip', 'dscp'), value: dscpTargetOf(d, r) } }]],
  ['TTL', (d, r) => [{ mangle: { key: payload('ip', 'ttl'), value: ttlTargetOf(d, r) } }]],
  [
    'CLASSIFY',
    (d, r) => {
      const priority = classifyOf(d, r);
      const tc = `${(priority >>> 16).toString(16)}:${(priority & 0xffff).toString(16)}`;
      return [{ mangle: { key: meta('priority'), value: tc } }];
    },
  ],
  [
    'NFLOG',
    (d, r) => {
      const { group, prefix, snaplen, threshold } = nflogOf(d, r);
      const log: Record<string, unknown> = { group };
      if (prefix !== '') log.prefix = prefix;
      if (snaplen !== undefined) log.snaplen = snaplen;
      if (threshold !== 0) log['queue-threshold'] = threshold;
      return [{ log }];
    },
  ],
];
