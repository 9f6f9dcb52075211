/** What a compiled match answers for a packet. */
import type { Packet } from './packet.js';

/** The packet does not match. */
export const NO_MATCH = 0;
/** The packet matches. */
export const MATCH = 1;
/** bpfilter cannot tell (the classification stops with CANNOT_EVALUATE). */
export const UNKNOWN = 2;

/** A compiled match: {@link NO_MATCH}, {@link MATCH} or {@link UNKNOWN}. */
export type MatchFn = (packet: Packet) => number;
