/**
 * `-j LOG` and `-j NFLOG` as the nf_tables `log` expression nft 1.0.6 sends for
 * translate-rule.ts's and raw-packet.ts's JSON of them (`nft --debug=mnl`): the attributes
 * in libnftnl's order, prefix first, then NFLOG's group, snaplen and queue threshold, or
 * LOG's level and flags. The targets are read by the same decoders as the JSON path's.
 */
import { decodeTarget } from '../model/decode-objects.js';
import { NotCompiled } from './netlink-data.js';
import { beginExpr, endExpr } from './netlink-expr.js';
import type { PacketWriter } from './netlink-expr-packet.js';
import { LOG_FLAG_BITS } from './translate-rule.js';
import { nflogOf } from './xt-packet-targets.js';

// include/uapi/linux/netfilter/nf_tables.h: enum nft_log_attributes
const LOG = { group: 1, prefix: 2, snaplen: 3, qthreshold: 4, level: 5, flags: 6 };
/** LOG is no standard target: where it sits and what chains start where do not matter. */
const PLACE = { offset: 0, nextOffset: 0, flags: 0 };
const NO_JUMPS = new Map<number, string>();

/** `log [prefix P] level L [flags F]`. */
const logTarget: PacketWriter = (w, data, revision) => {
  // The model's own reading of the target, the one translate-rule.ts writes as JSON.
  const target = decodeTarget({ name: 'LOG', revision, data }, PLACE, NO_JUMPS, '-j LOG');
  if (target.kind !== 'log') throw new NotCompiled('LOG');
  const e = beginExpr(w, 'log');
  if (target.prefix !== '') w.string(LOG.prefix, target.prefix);
  w.u32(LOG.level, target.level & 7);
  const flags = target.flags & LOG_FLAG_BITS;
  if (flags !== 0) w.u32(LOG.flags, flags);
  endExpr(w, e);
};

/** `log [prefix P] group G [snaplen S] [queue-threshold Q]`. */
const nflogTarget: PacketWriter = (w, data, revision) => {
  const { group, prefix, snaplen, threshold } = nflogOf(data, revision);
  const e = beginExpr(w, 'log');
  if (prefix !== '') w.string(LOG.prefix, prefix);
  w.u16(LOG.group, group);
  if (snaplen !== undefined) w.u32(LOG.snaplen, snaplen);
  if (threshold !== 0) w.u16(LOG.qthreshold, threshold);
  endExpr(w, e);
};

/** The target writers of this module, by extension name. */
export const LOG_TARGETS: [string, PacketWriter][] = [
  ['LOG', logTarget],
  ['NFLOG', nflogTarget],
];
