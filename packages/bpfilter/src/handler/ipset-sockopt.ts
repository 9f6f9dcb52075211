/**
 * `SO_IP_SET` (getsockopt 83), the socket option libxt_set uses to look a set up by name
 * before it builds a `-m set` or `-j SET` rule. bpfilter keeps no ipsets, so it answers as
 * a kernel with no sets would (`ip_set_sockopt`): the protocol version, and "no such set"
 * (index IPSET_INVALID_ID) for every name, which iptables prints as `Set NAME doesn't exist.`
 */
import { Errno, readU32, writeU16, writeU32 } from '../abi/index.js';

/** The socket option number (`SO_IP_SET`). */
export const SO_IP_SET = 83;

const OP_GET_BYNAME = 0x6;
const OP_GET_BYINDEX = 0x7;
const OP_GET_FNAME = 0x8;
const OP_VERSION = 0x100;
/** `IPSET_PROTOCOL` and `IPSET_PROTOCOL_MIN` of a current kernel. */
const PROTOCOL = 7;
const PROTOCOL_MIN = 6;
/** `IPSET_INVALID_ID` and the default `max_sets`. */
const INVALID_ID = 0xffff;
const MAX_SETS = 256;
/** sizeof `ip_set_req_version`, `ip_set_req_get_set`, `ip_set_req_get_set_family`. */
const VERSION_SIZE = 8;
const GET_SET_SIZE = 40;
const GET_FNAME_SIZE = 44;

/** Answer one SO_IP_SET request: the caller's buffer, rewritten as the kernel would. */
export function ipsetSockopt(buffer: Uint8Array): {
  status: number;
  body?: Uint8Array;
  message?: string;
} {
  if (buffer.length < 4) return { status: -Errno.EINVAL, message: 'SO_IP_SET: no op' };
  const op = readU32(buffer, 0);
  const body = buffer.slice();
  if (op === OP_VERSION) {
    if (buffer.length !== VERSION_SIZE)
      return { status: -Errno.EINVAL, message: 'SO_IP_SET version: wrong length' };
    writeU32(body, 4, PROTOCOL);
    return { status: 0, body };
  }
  if (buffer.length < 8 || readU32(buffer, 4) < PROTOCOL_MIN)
    return { status: -Errno.EPROTO, message: 'SO_IP_SET: protocol version too old' };
  switch (op) {
    case OP_GET_BYNAME:
      if (buffer.length !== GET_SET_SIZE)
        return { status: -Errno.EINVAL, message: 'SO_IP_SET get by name: wrong length' };
      writeU16(body, 8, INVALID_ID); // no set has that name
      return { status: 0, body };
    case OP_GET_FNAME:
      if (buffer.length !== GET_FNAME_SIZE)
        return { status: -Errno.EINVAL, message: 'SO_IP_SET get by name: wrong length' };
      writeU16(body, 12, INVALID_ID);
      return { status: 0, body };
    case OP_GET_BYINDEX: {
      if (buffer.length !== GET_SET_SIZE)
        return { status: -Errno.EINVAL, message: 'SO_IP_SET get by index: wrong length' };
      if ((buffer[8] ?? 0) + ((buffer[9] ?? 0) << 8) >= MAX_SETS)
        return { status: -Errno.ENOENT, message: 'SO_IP_SET: index out of range' };
      body.fill(0, 8, 8 + 32); // an empty slot: no name
      return { status: 0, body };
    }
    default:
      return { status: -Errno.EBADMSG, message: `SO_IP_SET: unknown op 0x${op.toString(16)}` };
  }
}
