// Every ```ts block marked `run` (```ts run) is executed with plain `node`, as a reader would
// paste it into a module of their own: it must end with status 0 by itself, within a time
// limit. A program that ends silently while it still awaits something (status 13 under
// top-level await) fails here; type-checking alone cannot see that.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, sitePages } from './markdown.js';
import { TMP_DIR } from './site.js';

const dir = join(TMP_DIR, 'code-blocks-run');

/** Transpiles `code` to an ES module, runs it with node; status and output. */
function runBlock(block: CodeBlock, name: string) {
  const { outputText } = ts.transpileModule(block.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, outputText);
  return spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
}

const runnable = sitePages().flatMap((page) =>
  codeBlocks(page).filter((b) => b.lang === 'ts' && /(^|\s)run(\s|$)/.test(b.meta)),
);

describe('runnable code blocks on the site', () => {
  it('finds them, the getting-started guide included', () => {
    expect(runnable.map((b) => b.page)).toEqual(
      expect.arrayContaining(['guide/getting-started.md', 'guide/getting-started.md']),
    );
    expect(runnable.filter((b) => b.page === 'guide/getting-started.md').length).toBe(2);
  });

  it('every TypeScript block of the getting-started guide is marked run (a reader pastes them all)', () => {
    const blocks = codeBlocks('guide/getting-started.md').filter((b) => b.lang === 'ts');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks)
      expect(block.meta, `guide/getting-started.md:${block.line}`).toMatch(/(^|\s)run(\s|$)/);
  });

  it('the runner fails a block that ends while it still awaits (guard)', () => {
    rmSync(dir, { recursive: true, force: true });
    const silent = runBlock(
      {
        page: 'synthetic.md',
        line: 1,
        lang: 'ts',
        meta: 'run',
        code: 'await new Promise(() => {});',
      },
      'synthetic-silent',
    );
    expect(silent.status).toBe(13);
  });

  it.each(runnable.map((b) => [`${b.page}:${b.line}`, b] as const))(
    '%s runs to the end with status 0',
    (where, block) => {
      const result = runBlock(block, where.replace(/[/.:]/g, '_'));
      expect(
        { status: result.status, signal: result.signal },
        `${where}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
      ).toEqual({ status: 0, signal: null });
    },
    90_000,
  );
});
