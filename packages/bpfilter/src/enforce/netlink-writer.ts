/**
 * Writes netlink messages (struct nlmsghdr + nfgenmsg + attributes, include/uapi/linux/
 * netlink.h) into one growing buffer: what nf_tables reads, built without libmnl.
 */

const NLA_F_NESTED = 0x8000;
const NLMSG_HDRLEN = 16;
const NFGENMSG_LEN = 4;
const NFNL_SUBSYS_NFTABLES = 10;
/** `NFPROTO_IPV4`: bpfilter's tables are all in the `ip` family. */
const NFPROTO_IPV4 = 2;

/** nlmsghdr flags of the messages that add things (NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND). */
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

const align4 = (n: number) => (n + 3) & ~3;

/**
 * A buffer of netlink messages being written. The buffer starts zeroed and is only ever
 * appended to, so padding and zero values need no writes; header fields are stored byte by
 * byte (Buffer's write methods check their arguments on each of a large table's ~100,000
 * attributes).
 */
export class NetlinkWriter {
  #buf: Buffer;
  #len = 0;
  #message = -1;
  readonly #strings = new Map<string, Buffer>();
  /** Messages written so far. */
  count = 0;

  /**
   * `capacity`: the bytes expected (the buffer grows past it, by copying). `spare`: memory of
   * an earlier batch to write into (zeroed here) when it holds `capacity`, instead of fresh
   * memory, whose every page is a fault to take.
   */
  constructor(capacity = 1 << 16, spare?: ArrayBuffer) {
    const size = Math.max(capacity, 1 << 16);
    this.#buf =
      spare !== undefined && spare.byteLength >= size
        ? Buffer.from(spare).fill(0)
        : Buffer.alloc(size);
  }

  /**
   * The messages written, back to back: a view of the writer's own ArrayBuffer (never Node's
   * shared pool), so it may be transferred to another thread.
   */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }

  /** Bytes written so far (to split long attribute lists before their 16-bit length overflows). */
  get length(): number {
    return this.#len;
  }

  /** Starts an nf_tables message of `type` (NFT_MSG_*) with netlink `flags` (NLM_F_*). */
  begin(type: number, flags: number): void {
    this.#message = this.#len;
    this.#reserve(NLMSG_HDRLEN + NFGENMSG_LEN);
    const b = this.#buf;
    const at = this.#len;
    // Length (written by end()), type, flags; sequence and port 0 (the helper numbers the
    // messages); nfgenmsg: family, NFNETLINK_V0, resource id 0.
    b[at + 4] = type;
    b[at + 5] = NFNL_SUBSYS_NFTABLES;
    const f = flags | 1; /* NLM_F_REQUEST */
    b[at + 6] = f & 0xff;
    b[at + 7] = f >>> 8;
    b[at + 16] = NFPROTO_IPV4;
    this.#len += NLMSG_HDRLEN + NFGENMSG_LEN;
  }

  /**
   * Starts a message with `head`: the first bytes of one begun with {@link begin} (its
   * header and first attributes, by {@link since}), copied.
   */
  beginWith(head: Uint8Array): void {
    this.#message = this.#len;
    this.append(head);
  }

  /** Ends the message begun last: writes its length. */
  end(): void {
    const length = this.#len - this.#message;
    const b = this.#buf;
    const at = this.#message;
    b[at] = length & 0xff;
    b[at + 1] = (length >>> 8) & 0xff;
    b[at + 2] = (length >>> 16) & 0xff;
    b[at + 3] = length >>> 24;
    this.count++;
  }

  /** An attribute holding `value` as it is. */
  bytesAttr(type: number, value: Uint8Array): void {
    const at = this.#header(type, value.length);
    this.#buf.set(value, at);
    this.#len = align4(at + value.length);
  }

  /** The buffer being written: valid until the next write (which may grow it). */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * An attribute of `size` zero bytes, for a value written in place into {@link buffer};
   * returns where the value starts.
   */
  zeroed(type: number, size: number): number {
    const at = this.#header(type, size);
    this.#len = at + align4(size);
    return at;
  }

  /**
   * Drops what was written after `length` (a {@link length} read earlier, inside the same
   * message), zeroing it again: the buffer past the end must stay zero.
   */
  rewind(length: number): void {
    this.#buf.fill(0, length, this.#len);
    this.#len = length;
  }

  /** Whole attributes written earlier (by {@link since}), copied to the end as they are. */
  append(attributes: Uint8Array): void {
    this.#reserve(attributes.length);
    this.#buf.set(attributes, this.#len);
    this.#len += attributes.length;
  }

  /** A copy of what was written after `length` (a {@link length} read earlier). */
  since(length: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.#buf, length, this.#len);
  }

  /** A NUL-terminated string attribute. */
  string(type: number, value: string): void {
    // The same few names (expressions, the table, chains, maps) recur in every message.
    let bytes = this.#strings.get(value);
    if (bytes === undefined) {
      bytes = Buffer.from(`${value}\u0000`);
      if (this.#strings.size < 1024) this.#strings.set(value, bytes);
    }
    this.bytesAttr(type, bytes);
  }

  /** A 32-bit attribute in network byte order (as nf_tables' `NLA_U32` fields are). */
  u32(type: number, value: number): void {
    const at = this.#header(type, 4);
    const b = this.#buf;
    b[at] = value >>> 24;
    b[at + 1] = (value >>> 16) & 0xff;
    b[at + 2] = (value >>> 8) & 0xff;
    b[at + 3] = value & 0xff;
    this.#len = at + 4;
  }

  /** A 16-bit attribute in network byte order (nf_tables' `NLA_U16` fields are big-endian). */
  u16(type: number, value: number): void {
    const at = this.#header(type, 2);
    this.#buf[at] = (value >>> 8) & 0xff;
    this.#buf[at + 1] = value & 0xff;
    this.#len = align4(at + 2);
  }

  /** An 8-bit attribute (`NLA_U8`). */
  u8(type: number, value: number): void {
    const at = this.#header(type, 1);
    this.#buf[at] = value & 0xff;
    this.#len = align4(at + 1);
  }

  /** Opens a nested attribute; close it with {@link close} and the returned mark. */
  open(type: number): number {
    const at = this.#len;
    this.#header(type | NLA_F_NESTED, 0);
    return at;
  }

  /** Closes the nested attribute opened at `mark`. */
  close(mark: number): void {
    const size = this.#len - mark;
    if (size > 0xffff) throw new RangeError('netlink attribute longer than 64 KiB');
    this.#buf[mark] = size & 0xff;
    this.#buf[mark + 1] = size >>> 8;
  }

  /** Writes an attribute header for `size` bytes of value; returns where the value goes. */
  #header(type: number, size: number): number {
    if (size + 4 > 0xffff) throw new RangeError('netlink attribute longer than 64 KiB');
    this.#reserve(4 + align4(size));
    const b = this.#buf;
    const at = this.#len;
    const length = 4 + size;
    b[at] = length & 0xff;
    b[at + 1] = length >>> 8;
    b[at + 2] = type & 0xff;
    b[at + 3] = type >>> 8;
    this.#len = at + 4;
    return at + 4;
  }

  #reserve(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + extra));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}
