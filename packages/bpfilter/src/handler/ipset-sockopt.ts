/**
 * `SO_IP_SET` (getsockopt 83), the socket option libxt_set uses to look a set up by name
 * before it builds a `-m set` or `-j SET` rule. Without enforcement bpfilter has no sets to
 * offer, so it answers as a kernel with no sets would (`ip_set_sockopt`): the protocol
 * version, and "no such set" (index IPSET_INVALID_ID) for every name, which iptables prints as
 * `Set NAME doesn't exist.` Enforcing, the front end asks the namespace's kernel instead
 * (enforce/kernel-ipsets.ts), with the same check of the request first.
 */
import { copyBytes, Errno, readU32, writeU16, writeU32 } from '../abi/index.js';

/** The socket option number (`SO_IP_SET`). */
export const SO_IP_SET = 83;

const OP_GET_BYNAME = 0x6;
const OP_GET_BYINDEX = 0x7;
const OP_GET_FNAME = 0x8;
const OP_VERSION = 0x100;
/** `IPSET_PROTOCOL` and `IPSET_PROTOCOL_MIN` of a current kernel. */
const PROTOCOL = 7;
const PROTOCOL_MIN = 6;
/** `IPSET_INVALID_ID`: no set (in a lookup's answer, and in a rule that names none). */
export const IPSET_INVALID_ID = 0xffff;
/** The default `max_sets`. */
const MAX_SETS = 256;
/** sizeof `ip_set_req_get_set` and `ip_set_req_get_set_family`, the ops that carry them. */
const GET_SET_SIZE = 40;
const GET_FNAME_SIZE = 44;
const SIZES = new Map([
  [OP_VERSION, 8],
  [OP_GET_BYNAME, GET_SET_SIZE],
  [OP_GET_BYINDEX, GET_SET_SIZE],
  [OP_GET_FNAME, GET_FNAME_SIZE],
]);

/** An answer to one SO_IP_SET request. */
export interface IpsetAnswer {
  status: number;
  body?: Uint8Array;
  message?: string;
}

/**
 * The kernel's refusal of an SO_IP_SET request (`ip_set_sockopt`'s checks, in its order), or
 * undefined for one of the four requests libxt_set sends (version, get by name, by index, by
 * name with the family), each of exactly its size: the only ones that reach the kernel.
 */
export function ipsetRequestRefusal(buffer: Uint8Array): IpsetAnswer | undefined {
  if (buffer.length < 4) return { status: -Errno.EINVAL, message: 'SO_IP_SET: no op' };
  const op = readU32(buffer, 0);
  if (op !== OP_VERSION && (buffer.length < 8 || readU32(buffer, 4) < PROTOCOL_MIN))
    return { status: -Errno.EPROTO, message: 'SO_IP_SET: protocol version too old' };
  const size = SIZES.get(op);
  if (size === undefined)
    return { status: -Errno.EBADMSG, message: `SO_IP_SET: unknown op 0x${op.toString(16)}` };
  if (buffer.length !== size)
    return { status: -Errno.EINVAL, message: `SO_IP_SET op 0x${op.toString(16)}: wrong length` };
  return undefined;
}

/** Answer one SO_IP_SET request: the caller's buffer, rewritten as a kernel without sets would. */
export function ipsetSockopt(buffer: Uint8Array): IpsetAnswer {
  const refused = ipsetRequestRefusal(buffer);
  if (refused) return refused;
  const body = copyBytes(buffer);
  switch (readU32(buffer, 0)) {
    case OP_VERSION:
      writeU32(body, 4, PROTOCOL);
      return { status: 0, body };
    case OP_GET_BYNAME:
      writeU16(body, 8, IPSET_INVALID_ID); // no set has that name
      return { status: 0, body };
    case OP_GET_FNAME:
      writeU16(body, 12, IPSET_INVALID_ID);
      return { status: 0, body };
    default: {
      // OP_GET_BYINDEX
      if ((buffer[8] ?? 0) + ((buffer[9] ?? 0) << 8) >= MAX_SETS)
        return { status: -Errno.ENOENT, message: 'SO_IP_SET: index out of range' };
      body.fill(0, 8, 8 + 32); // an empty slot: no name
      return { status: 0, body };
    }
  }
}

/**
 * Why the kernel's answer `body` to `request` is not one `ip_set_sockopt` writes (undefined
 * when it is): the same length, the op and (but for a version request) the version unchanged.
 */
export function ipsetAnswerFault(request: Uint8Array, body: Uint8Array): string | undefined {
  if (body.length !== request.length)
    return `${body.length} bytes answered to a request of ${request.length}`;
  const kept = readU32(request, 0) === OP_VERSION ? 4 : 8;
  for (let i = 0; i < kept; i++)
    if (body[i] !== request[i]) return 'the op or version of the request changed';
  return undefined;
}
