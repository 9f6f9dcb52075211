/** The handler's operations: each turns untrusted input into a normalized description. */
import { decodeBlock } from '../blocks.js';
import type {
  Block,
  CleartextReply,
  InlineReply,
  KeysReply,
  SignaturePacket,
  SignaturesReply,
  Span,
} from '../contract.js';
import { findArmor, looksArmored } from './armor.js';
import { bad, SECRET_KEYS, unsupported } from './bad.js';
import { parseKeys } from './key.js';
import { checkMarker, type RawPacket, readPackets, uint, whole } from './packets.js';
import { parseSignature } from './signature.js';

/** The blocks of one input and their decoded bytes, built up as the parse goes. */
class Blocks {
  readonly list: Block[] = [];
  readonly bytes: Buffer[] = [];
  constructor(readonly input: Uint8Array) {}

  add(block: Block): number {
    try {
      this.bytes.push(decodeBlock(this.input, block, this.bytes));
    } catch (error) {
      bad(`cannot decode ${block.kind} block: ${(error as Error).message}`);
    }
    this.list.push(block);
    return this.list.length - 1;
  }

  /**
   * Armored blocks of `type`, or the whole input as one binary block. Armored input without
   * such a block is malformed, unless `whenAbsent` throws a better reason first.
   */
  addInput(type: string, whenAbsent?: () => void): number[] {
    if (!looksArmored(this.input))
      return [this.add({ kind: 'binary', start: 0, end: this.input.length })];
    const found = findArmor(this.input, 0, type);
    if (found.length === 0) {
      whenAbsent?.();
      bad(`no armored ${type} found`);
    }
    return found.map(({ start, end }) => this.add({ kind: 'armor', start, end }));
  }
}

/** Parses a keyring: every key of every block. */
export function keys(input: Uint8Array): KeysReply {
  const blocks = new Blocks(input);
  const secretKeysOnly = () => {
    if (findArmor(input, 0, 'PRIVATE KEY BLOCK').length > 0) unsupported(SECRET_KEYS);
  };
  const result = blocks.addInput('PUBLIC KEY BLOCK', secretKeysOnly).flatMap((index) => {
    const bytes = blocks.bytes[index] as Buffer;
    return parseKeys(bytes, readPackets(bytes), index);
  });
  if (result.length === 0) bad('no public key found');
  return { blocks: blocks.list, keys: result };
}

function signaturesOf(bytes: Uint8Array, packets: RawPacket[], block: number): SignaturePacket[] {
  const out: SignaturePacket[] = [];
  for (const packet of packets) {
    if (packet.tag === 10) {
      checkMarker(bytes, packet);
      continue;
    }
    if (packet.tag !== 2) bad(`packet ${packet.tag} where a signature was expected`);
    const [start, end] = whole(packet);
    out.push(parseSignature(bytes, start, end, block));
  }
  if (out.length === 0) bad('no signature found');
  return out;
}

/** Parses a detached signature (one or more signature packets). */
export function signatures(input: Uint8Array): SignaturesReply {
  const blocks = new Blocks(input);
  const result = blocks.addInput('SIGNATURE').flatMap((index) => {
    const bytes = blocks.bytes[index] as Buffer;
    return signaturesOf(bytes, readPackets(bytes), index);
  });
  return { blocks: blocks.list, signatures: result };
}

const SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE = '-----BEGIN PGP SIGNATURE-----';

/** Parses a cleartext-signed message (RFC 9580 section 7). */
export function cleartext(input: Uint8Array): CleartextReply {
  const text = Buffer.from(input).toString('latin1');
  const head = text.search(/(^|\n)-----BEGIN PGP SIGNED MESSAGE-----[ \t]*\r?\n/);
  if (head < 0) bad('no BEGIN PGP SIGNED MESSAGE line');
  let pos = text.indexOf(SIGNED, head) + SIGNED.length;
  pos = text.indexOf('\n', pos) + 1;
  const hashes: string[] = [];
  for (;;) {
    const end = text.indexOf('\n', pos);
    if (end < 0) bad('cleartext: no blank line after the headers');
    const line = text.slice(pos, end).replace(/[ \t\r]+$/, '');
    pos = end + 1;
    if (line === '') break;
    const match = /^Hash: ([A-Za-z0-9, -]+)$/.exec(line);
    if (!match) bad(`cleartext: unexpected header ${JSON.stringify(line.slice(0, 40))}`);
    hashes.push(...(match[1] as string).split(',').map((name) => name.trim()));
  }
  const start = pos;
  let end = -1;
  while (pos < text.length) {
    const lineEnd = text.indexOf('\n', pos);
    const line = text.slice(pos, lineEnd < 0 ? text.length : lineEnd).replace(/[ \t\r]+$/, '');
    if (line === SIGNATURE) {
      end = pos - 1;
      break;
    }
    if (line.startsWith('-') && !line.startsWith('- ')) bad('cleartext: a line starts with a dash');
    if (lineEnd < 0) break;
    pos = lineEnd + 1;
  }
  if (end < start) bad('cleartext: no signature after the text');
  if (end > start && text[end - 1] === '\r') end -= 1;
  const blocks = new Blocks(input);
  const armor = findArmor(input, pos, 'SIGNATURE')[0];
  if (!armor) bad('cleartext: no signature armor');
  const index = blocks.add({ kind: 'armor', start: armor.start, end: armor.end });
  const bytes = blocks.bytes[index] as Buffer;
  const span: Span = [start, Math.max(start, end)];
  return {
    blocks: blocks.list,
    text: span,
    hashes,
    signatures: signaturesOf(bytes, readPackets(bytes), index),
  };
}

/** Parses an inline-signed message: one-pass signatures, literal data, signatures. */
export function inline(input: Uint8Array): InlineReply {
  const blocks = new Blocks(input);
  const [first] = blocks.addInput('MESSAGE');
  let index = first as number;
  let packets = readPackets(blocks.bytes[index] as Buffer);
  if (packets.length === 1 && packets[0]?.tag === 8) {
    const compressed = packets[0];
    const parent = blocks.bytes[index] as Buffer;
    const algorithm = uint(parent, compressed.at, 1);
    if (algorithm !== 1 && algorithm !== 2)
      unsupported(`compression algorithm ${algorithm} is not supported`);
    const spans = compressed.spans.map(([s, e], i): Span => [i === 0 ? s + 1 : s, e]);
    index = blocks.add({ kind: 'inflate', algorithm, block: index, spans });
    packets = readPackets(blocks.bytes[index] as Buffer);
  }
  const bytes = blocks.bytes[index] as Buffer;
  let onePass = 0;
  let literal: InlineReply['literal'] | undefined;
  const sigs: SignaturePacket[] = [];
  for (const packet of packets) {
    if (packet.tag === 4) onePass += 1;
    else if (packet.tag === 11) {
      if (literal) bad('more than one literal data packet');
      literal = literalOf(bytes, packet, index);
    } else if (packet.tag === 2) {
      const [start, end] = whole(packet);
      sigs.push(parseSignature(bytes, start, end, index));
    } else if (packet.tag !== 10) bad(`packet ${packet.tag} in a signed message`);
  }
  if (!literal) bad('no literal data');
  if (sigs.length === 0) bad('no signature found');
  return { blocks: blocks.list, literal, onePass, signatures: sigs };
}

function literalOf(bytes: Uint8Array, packet: RawPacket, block: number): InlineReply['literal'] {
  const [s0, e0] = packet.spans[0] as Span;
  const format = uint(bytes, s0, 1);
  const skip = 1 + 1 + uint(bytes, s0 + 1, 1) + 4;
  if (s0 + skip > e0) bad('literal data: header runs past its first chunk');
  const spans = packet.spans.map(([s, e], i): Span => [i === 0 ? s + skip : s, e]);
  return { block, spans, format };
}
