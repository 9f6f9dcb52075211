// Every ```ts block on the site is compiled against the real, built packages
// (@umd/core, @umd/mgmt, @umd/bpfilter, @umd/sample-umd, @umd/pgp resolve through this package's
// workspace devDependencies to their dist/ type declarations), so no example goes stale.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks, sitePages, type CodeBlock } from './markdown.js';
import { DOCS_ROOT, TMP_DIR } from './site.js';

const TS_LANGS = new Set(['ts', 'typescript', 'mts', 'tsx']);

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(DOCS_ROOT, '..', '..', 'tsconfig.base.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, DOCS_ROOT);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false };
}

/** Writes each block into its own module under .tmp/code-blocks/ and type-checks them all. */
function typeCheck(blocks: CodeBlock[]): Map<CodeBlock, string[]> {
  const dir = join(TMP_DIR, 'code-blocks');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, CodeBlock>();
  blocks.forEach((block, index) => {
    const name = `${String(index).padStart(3, '0')}-${block.page.replace(/[/.]/g, '_')}-L${block.line}.ts`;
    const file = join(dir, name);
    // `export {}` makes every block a module, so blocks cannot see each other's names.
    writeFileSync(file, `${block.code}\nexport {};\n`);
    files.set(file, block);
  });
  // The examples import two kinds of files that a driver package generates or writes next to
  // them: the blob manifest (`*.blob.json`, written by buildBlob at build time) and the
  // driver's own loader module. Declare them as what they are, so the rest is checked.
  const env = join(dir, 'driver-files.d.ts');
  writeFileSync(
    env,
    [
      "declare module '*.blob.json' { const manifest: import('@umd/mgmt').BlobManifest; export default manifest; }",
      "declare module '*loader.js' { const loader: import('@umd/mgmt').Loader; export default loader; }",
      '',
    ].join('\n'),
  );
  const program = ts.createProgram([...files.keys(), env], compilerOptions());
  const problems = new Map<CodeBlock, string[]>(blocks.map((b) => [b, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const block = diagnostic.file ? files.get(diagnostic.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!block || !diagnostic.file) {
      problems.set(blocks[0]!, [...(problems.get(blocks[0]!) ?? []), `(global) ${message}`]);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    problems
      .get(block)!
      .push(`${block.page}:${block.line + 1 + line}: TS${diagnostic.code} ${message}`);
  }
  return problems;
}

const blocks = sitePages().flatMap((page) => codeBlocks(page).filter((b) => TS_LANGS.has(b.lang)));

describe('TypeScript code blocks on the site', () => {
  it('finds the examples (guard against a broken extractor)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const pages = new Set(blocks.map((b) => b.page));
    expect(pages).toContain('guide/handler-typescript.md');
    expect(pages).toContain('guide/getting-started.md');
  });

  it('the checker rejects a stale example (guard against a checker that cannot fail)', () => {
    const stale: CodeBlock = {
      page: 'synthetic.md',
      line: 1,
      lang: 'ts',
      meta: '',
      code: "import { noSuchExport } from '@umd/core';\nnoSuchExport();\n",
    };
    const wrongType: CodeBlock = {
      page: 'synthetic.md',
      line: 9,
      lang: 'ts',
      meta: '',
      code: "import { UmdErrorCode } from '@umd/core';\nconst n: number = UmdErrorCode.TIMEOUT;\n",
    };
    const problems = typeCheck([stale, wrongType]);
    expect(problems.get(stale)!.join('\n')).toMatch(/noSuchExport/);
    expect(problems.get(wrongType)!.join('\n')).toMatch(/TS2322/);
  });

  it('the packages the examples import are built (their type declarations exist)', () => {
    const require = createRequire(import.meta.url);
    for (const name of ['@umd/core', '@umd/mgmt', '@umd/bpfilter', '@umd/sample-umd', '@umd/pgp']) {
      const dir = dirname(require.resolve(`${name}/package.json`));
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        exports: Record<string, { types?: string } | string>;
      };
      for (const [entry, target] of Object.entries(pkg.exports)) {
        if (typeof target !== 'object' || !target.types) continue;
        expect(
          existsSync(join(dir, target.types)),
          `${name}${entry.slice(1)}: ${target.types} is missing; build ${name} first`,
        ).toBe(true);
      }
    }
  });

  it('every block type-checks against the real packages', () => {
    const problems = typeCheck(blocks);
    const failures = [...problems.values()].flat();
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
