/** The README's fenced blocks, for the tests that run what it shows as written. */
import { readFileSync } from 'node:fs';
import { delimiter, sep } from 'node:path';

const README = new URL('../README.md', import.meta.url);

/** A fenced block: its language (`sh`, or '' for output) and its lines. */
export interface FencedBlock {
  lang: string;
  lines: string[];
}

/** The fenced blocks of the README section `## heading`, in order. */
export function readmeBlocks(heading: string): FencedBlock[] {
  const text = readFileSync(README, 'utf8');
  const section = text.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error(`README.md has no "## ${heading}" section`);
  const blocks: FencedBlock[] = [];
  let block: FencedBlock | undefined;
  for (const line of section.split('\n')) {
    if (line.startsWith('```')) {
      if (block === undefined) block = { lang: line.slice(3).trim(), lines: [] };
      else {
        blocks.push(block);
        block = undefined;
      }
    } else if (block !== undefined) {
      block.lines.push(line);
    }
  }
  return blocks;
}

/** A reader's PATH: without the node_modules/.bin folders the test runner put first. */
export const readerPath = (): string =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${sep}.bin`))
    .join(delimiter);
