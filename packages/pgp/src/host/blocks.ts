/** Checks the blocks of a reply against the input, then decodes them (../blocks.ts). */
import { decodeBlocks, gather } from '../blocks.js';
import type { Block, Span } from '../contract.js';
import { lie } from './check.js';

/** Checks that `spans` are ascending, disjoint ranges within `length` bytes. */
export function checkSpans(spans: readonly Span[], length: number, path: string): void {
  let last = 0;
  for (const [start, end] of spans) {
    if (start < last || end < start || end > length) lie(path, 'spans out of order or range');
    last = end;
  }
}

/** The binary form of each block, after checking every range the blocks name. */
export function decodeChecked(input: Uint8Array, blocks: readonly Block[]): Buffer[] {
  const lengths: number[] = [];
  blocks.forEach((block, i) => {
    if (block.kind === 'inflate') {
      const parent = lengths[block.block];
      if (parent === undefined) lie(`blocks[${i}]`, 'refers to a later block');
      checkSpans(block.spans, parent, `blocks[${i}].spans`);
      lengths.push(Number.MAX_SAFE_INTEGER);
    } else {
      if (block.end > input.length) lie(`blocks[${i}]`, 'range past the input');
      lengths.push(block.end - block.start);
    }
  });
  try {
    return decodeBlocks(input, blocks);
  } catch (error) {
    return lie('blocks', `cannot decode: ${(error as Error).message}`);
  }
}

/** The bytes of `spans` of a decoded block, after checking them. */
export function spansOf(
  blocks: readonly Buffer[],
  block: number,
  spans: readonly Span[],
  path: string,
): Buffer {
  const bytes = blocks[block];
  if (!bytes) lie(path, 'no such block');
  checkSpans(spans, bytes.length, path);
  return gather(bytes, spans);
}
