// The C and Rust handler pages followed as a reader does, in an empty directory: write the
// source files the page names (```c [echo_with_header.c]), run its shell block (compile into
// native/, record the digest), then run its host block as a module of its own. Compiling the
// blocks alone (c-handler, rust-handler tests) missed a shell step that wrote the program
// where the host's loader does not look.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from './markdown.js';
import { DOCS_ROOT, TMP_DIR } from './site.js';

const has = (tool: string) => spawnSync(tool, ['--version']).status === 0;

const PAGES = [
  { page: 'guide/handler-c.md', tool: 'cc', source: 'c' },
  { page: 'guide/handler-rust.md', tool: 'rustc', source: 'rust' },
];

describe.each(PAGES)('$page, followed step by step', ({ page, tool, source }) => {
  if (!has(tool) && process.env.CI) throw new Error(`${tool} not found and CI is set`);

  it.skipIf(!has(tool))(
    'its shell block builds what its host block starts: "hello"',
    () => {
      const blocks = codeBlocks(page);
      const dir = join(TMP_DIR, 'walkthrough', source);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // The reader's installed packages: @umd/core's native/umd_wire.h, @umd/build's umd-blob.
      symlinkSync(join(DOCS_ROOT, 'node_modules'), join(dir, 'node_modules'));
      for (const block of blocks.filter((b) => b.lang === source)) {
        const name = /\[(.+)\]/.exec(block.meta)?.[1];
        if (name !== undefined) writeFileSync(join(dir, name), block.code);
      }
      const shell = blocks.filter((b) => b.lang === 'sh');
      expect(shell.map((b) => `${page}:${b.line}`)).toHaveLength(1);
      execFileSync('bash', ['-euo', 'pipefail', '-c', shell[0]!.code], {
        cwd: dir,
        stdio: 'pipe',
        env: {
          ...process.env,
          PATH: `${join(DOCS_ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
        },
      });

      const host = blocks.filter((b) => b.lang === 'ts' && b.code.includes('defineLoader'));
      expect(host.map((b) => `${page}:${b.line}`)).toHaveLength(1);
      const { outputText } = ts.transpileModule(host[0]!.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, 'host.mjs'), outputText);
      const run = spawnSync(process.execPath, ['host.mjs'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ status: run.status, stdout: run.stdout }, run.stderr).toEqual({
        status: 0,
        stdout: 'hello\n',
      });
    },
    120_000,
  );
});
