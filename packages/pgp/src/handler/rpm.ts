/** RPM packages (lead, signature header, main header) as rpm 4 writes them. */
import {
  RPM_HEADER_TAGS,
  RPM_SIGNATURE_TAGS,
  type RpmEntry,
  type RpmHeader,
  type RpmReply,
  RpmTag,
  type SignaturePacket,
} from '../contract.js';
import { bad } from './bad.js';
import { b64 } from './fields.js';
import { readPackets, uint, whole } from './packets.js';
import { parseSignature } from './signature.js';

const HEADER_MAGIC = 0x8eade801;
const MAX_ENTRIES = 0x10000;

/** Parses the lead and both headers of `input` (the start of an RPM file). */
export function rpm(input: Uint8Array): RpmReply {
  if (uint(input, 0, 4) !== 0xedabeedb) bad('rpm: not an RPM lead');
  const nameBytes = input.subarray(10, 76);
  const name = Buffer.from(nameBytes.subarray(0, Math.max(0, nameBytes.indexOf(0)))).toString(
    'latin1',
  );
  const signature = header(input, 96, RPM_SIGNATURE_TAGS);
  const sigEnd = 96 + 16 + signature.indexCount * 16 + signature.dataLength;
  const main = header(input, sigEnd + ((8 - (sigEnd % 8)) % 8), RPM_HEADER_TAGS);
  const payloadStart = main.start + 16 + main.indexCount * 16 + main.dataLength;
  const signatures: { tag: number; packet: SignaturePacket }[] = [];
  for (const entry of signature.entries) {
    if (
      ![RpmTag.SIG_RSA, RpmTag.SIG_DSA, RpmTag.SIG_PGP, RpmTag.SIG_GPG].includes(entry.tag as 268)
    )
      continue;
    const bytes = Buffer.from(entry.value as string, 'base64');
    const packets = readPackets(bytes);
    if (packets.length !== 1 || packets[0]?.tag !== 2)
      bad(`rpm: tag ${entry.tag} is not one signature`);
    const [start, end] = whole(packets[0]);
    // The bytes are a BIN entry of the signature header: located in block 0 (the input).
    const base = signatureDataStart(signature) + entry.offset;
    signatures.push({ tag: entry.tag, packet: parseSignature(input, base + start, base + end, 0) });
  }
  return {
    name,
    blocks: [{ kind: 'binary', start: 0, end: input.length }],
    signature,
    header: main,
    payloadStart,
    signatures,
  };
}

function signatureDataStart(h: RpmHeader): number {
  return h.start + 16 + h.indexCount * 16;
}

function header(input: Uint8Array, start: number, wanted: readonly number[]): RpmHeader {
  if (uint(input, start, 4) !== HEADER_MAGIC) bad(`rpm: no header magic at ${start}`);
  const indexCount = uint(input, start + 8, 4);
  const dataLength = uint(input, start + 12, 4);
  if (indexCount > MAX_ENTRIES) bad(`rpm: ${indexCount} header entries`);
  const dataStart = start + 16 + indexCount * 16;
  if (dataStart + dataLength > input.length) bad(`rpm: header at ${start} runs past the input`);
  const entries: RpmEntry[] = [];
  for (let index = 0; index < indexCount; index++) {
    const at = start + 16 + index * 16;
    const tag = uint(input, at, 4);
    if (!wanted.includes(tag)) continue;
    const type = uint(input, at + 4, 4);
    const offset = uint(input, at + 8, 4);
    const count = uint(input, at + 12, 4);
    if (offset >= dataLength) bad(`rpm: tag ${tag} points past the data`);
    const value = read(input.subarray(dataStart, dataStart + dataLength), type, offset, count);
    entries.push({ index, tag, type, offset, count, value });
  }
  return { start, indexCount, dataLength, entries };
}

function read(data: Uint8Array, type: number, offset: number, count: number): RpmEntry['value'] {
  switch (type) {
    case 3:
    case 4: {
      const width = type === 3 ? 2 : 4;
      if (offset + count * width > data.length) bad('rpm: integer array runs past the data');
      return Array.from({ length: count }, (_, i) => uint(data, offset + i * width, width));
    }
    case 6:
    case 8:
    case 9: {
      const strings: string[] = [];
      let pos = offset;
      for (let i = 0; i < (type === 6 ? 1 : count); i++) {
        const nul = data.indexOf(0, pos);
        if (nul < 0) bad('rpm: string runs past the data');
        strings.push(Buffer.from(data.subarray(pos, nul)).toString('latin1'));
        pos = nul + 1;
      }
      return strings;
    }
    case 7:
      if (offset + count > data.length) bad('rpm: binary value runs past the data');
      return b64(data.subarray(offset, offset + count));
    default:
      bad(`rpm: entry type ${type} is not supported`);
  }
}
