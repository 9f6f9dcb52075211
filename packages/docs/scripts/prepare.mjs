// @ts-check
// Everything the site generates before VitePress runs: the API reference (typedoc) and
// the bpfilter walkthrough (included from packages/bpfilter/README.md). Both outputs are
// gitignored. The benchmark table and chart are rendered by a VitePress data loader
// (src/guide/bench.data.ts) from data/*.json.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSection } from './extract-section.mjs';
import { generateApi } from './generate-api.mjs';

const docsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const generatedDir = join(docsRoot, 'src', 'parts', 'generated');

/** The heading of the walkthrough section in the bpfilter README. */
export const WALKTHROUGH_HEADING = /walkthrough/i;

export async function syncBpfilterWalkthrough() {
  const readme = resolve(docsRoot, '..', 'bpfilter', 'README.md');
  const section = existsSync(readme)
    ? extractSection(readFileSync(readme, 'utf8'), WALKTHROUGH_HEADING, 2)
    : undefined;
  const body =
    section ??
    [
      '::: warning Not written yet',
      'The walkthrough is written in the bpfilter package README (a section whose heading',
      'contains "walkthrough"); it is included here at build time, and none was found in',
      'this build.',
      ':::',
      '',
    ].join('\n');
  await mkdir(generatedDir, { recursive: true });
  await writeFile(join(generatedDir, 'bpfilter-walkthrough.md'), body);
  console.log(
    `bpfilter walkthrough: ${section ? `${section.split('\n').length} lines from packages/bpfilter/README.md` : 'not found, placeholder written'}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await generateApi();
  await syncBpfilterWalkthrough();
}
