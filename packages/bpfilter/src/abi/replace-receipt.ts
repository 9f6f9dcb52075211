/**
 * `UMD_CMD_REPLACE` (`is_set` = 1): a SET_REPLACE whose reply also says which table the
 * handler now holds, so that the front end can keep the table it built from the request (as
 * the handler builds it) instead of reading the table back. Request: an `ipt_replace` and its
 * entries, as `IPT_SO_SET_REPLACE`. Reply, on success: the old counters (as SET_REPLACE's),
 * then the {@link tableDigest} of the table the handler keeps.
 */
import { createHash } from 'node:crypto';
import { encodeGetinfo, type IptGetinfo } from './table-structs.js';

/** The umd command: SET_REPLACE with a receipt. */
export const UMD_CMD_REPLACE = 0x1004;

/**
 * The umd command: SET_REPLACE checked (as `UMD_CMD_REPLACE` checks it) but not taken: the
 * handler's tables stay as they are. Reply, on success: the {@link tableDigest} of the table
 * the handler would keep. A front end's warm-up runs a replace's whole check with it.
 */
export const UMD_CMD_CHECK_REPLACE = 0x1005;

/**
 * The umd command: a restore's steps in the handler (SET_REPLACE with its receipt, then
 * SET_ADD_COUNTERS of every entry) run on the request in a throwaway store: the handler's
 * tables and counters stay as they are. Reply, on success: the {@link tableDigest} of the
 * table the rehearsal kept, as `UMD_CMD_CHECK_REPLACE`'s. A front end's warm-up sends it so
 * that the handler's replace path is compiled before the first real restores.
 */
export const UMD_CMD_REHEARSE_REPLACE = 0x1007;

/** Bytes of a digest at the end of an `UMD_CMD_REPLACE` reply. */
export const TABLE_DIGEST_SIZE = 32;

/**
 * SHA-256 of a table as a handler keeps it: its `ipt_getinfo` (what GET_INFO answers), then
 * its entries (counters zero after a replace, `comefrom` the hooks that reach each entry).
 */
export function tableDigest(info: IptGetinfo, entries: Uint8Array): Uint8Array {
  return createHash('sha256').update(encodeGetinfo(info)).update(entries).digest();
}
