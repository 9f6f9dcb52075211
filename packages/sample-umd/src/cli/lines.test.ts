import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InputLine, readLines } from './lines.js';

async function collect(chunks: string[], maxLength = 10): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  for await (const line of readLines(toAsync(chunks), maxLength)) lines.push(line);
  return lines;
}

async function* toAsync(chunks: string[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield new TextEncoder().encode(chunk);
}

describe('readLines', () => {
  it('splits lines across chunks, with or without a final newline', async () => {
    expect(await collect(['12\n3', '4\n', '\n56'])).toEqual([
      { lineNumber: 1, text: '12' },
      { lineNumber: 2, text: '34' },
      { lineNumber: 3, text: '' },
      { lineNumber: 4, text: '56' },
    ]);
  });

  it('reports an over-long line without keeping its bytes, then goes on', async () => {
    const lines = await collect(['1234567', '890123', '45\n7\n'], 10);
    expect(lines).toEqual([
      { lineNumber: 1, tooLong: true, length: 15 },
      { lineNumber: 2, text: '7' },
    ]);
  });

  it('gives the same lines for any split of the input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 6 }),
        async (text, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const point of points) {
            chunks.push(text.slice(last, point));
            last = point;
          }
          chunks.push(text.slice(last));
          expect(
            await collect(
              chunks.filter((c) => c.length > 0),
              8,
            ),
          ).toEqual(await collect([text], 8));
        },
      ),
    );
  });
});
