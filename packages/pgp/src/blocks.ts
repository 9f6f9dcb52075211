/**
 * Turns the blocks of a reply into bytes: one implementation for the handler (which builds
 * its description from these bytes) and the host (which checks the description against
 * them). The host calls it only on ranges it has already checked (see host/validate.ts).
 */
import { inflateRawSync, inflateSync } from 'node:zlib';
import type { Block, Span } from './contract.js';

/** Most bytes one compressed packet may inflate to: a decompression bomb stops here. */
export const MAX_INFLATED = 256 * 1024 * 1024;

/** Copies the spans of `bytes` into one buffer, in order. */
export function gather(bytes: Uint8Array, spans: readonly Span[]): Buffer {
  return Buffer.concat(spans.map(([start, end]) => bytes.subarray(start, end)));
}

/** The binary form of each block of `input`, by index. A block refers only to earlier ones. */
export function decodeBlocks(input: Uint8Array, blocks: readonly Block[]): Buffer[] {
  const out: Buffer[] = [];
  for (const block of blocks) out.push(decodeBlock(input, block, out));
  return out;
}

/** The binary form of one block, given the blocks decoded before it. */
export function decodeBlock(input: Uint8Array, block: Block, earlier: readonly Buffer[]): Buffer {
  if (block.kind === 'binary') {
    return Buffer.from(input.buffer, input.byteOffset + block.start, block.end - block.start);
  }
  if (block.kind === 'armor') {
    const text = Buffer.from(input.subarray(block.start, block.end)).toString('latin1');
    return Buffer.from(text, 'base64');
  }
  const parent = earlier[block.block];
  if (parent === undefined) throw new RangeError(`block refers to block ${block.block}`);
  const compressed = gather(parent, block.spans);
  const options = { maxOutputLength: MAX_INFLATED };
  return block.algorithm === 1
    ? inflateRawSync(compressed, options)
    : inflateSync(compressed, options);
}
