// The C examples of the site are compiled with `cc`, and the echo handler written "from the
// wire format alone" runs as a real process against @umd/core's FramedChannel.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FramedChannel } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { expectGuideEcho } from './guide-echo.js';
import { codeBlocks, sitePages } from './markdown.js';
import { TMP_DIR } from './site.js';

const haveCc = spawnSync('cc', ['--version']).status === 0;
if (!haveCc && process.env.CI)
  throw new Error('cc not found and CI is set: the C examples must be compiled');

/** The folder of @umd/core's umd_wire.h, resolved the way a user's build would find it. */
const wireHeaderDir = join(
  dirname(createRequire(import.meta.url).resolve('@umd/core/package.json')),
  'native',
);
const cBlocks = sitePages().flatMap((page) => codeBlocks(page).filter((b) => b.lang === 'c'));
const programs = cBlocks.filter((b) => /\bint main\s*\(/.test(b.code));
const dir = join(TMP_DIR, 'c-blocks');

function compile(index: number): string {
  const block = programs[index]!;
  mkdirSync(dir, { recursive: true });
  const source = join(dir, `block-${index}.c`);
  const binary = join(dir, `block-${index}`);
  writeFileSync(source, block.code);
  execFileSync(
    'cc',
    [
      '-std=c11',
      '-D_DEFAULT_SOURCE',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-I',
      wireHeaderDir,
      '-o',
      binary,
      source,
    ],
    { stdio: 'pipe' },
  );
  return binary;
}

describe.skipIf(!haveCc)('C code blocks on the site', () => {
  it('finds the C examples', () => {
    expect(programs.length).toBeGreaterThanOrEqual(3);
  });

  it.each(programs.map((b, i) => [`${b.page}:${b.line}`, i] as const))(
    '%s compiles with -Wall -Wextra -Werror',
    (_, index) => {
      expect(() => compile(index)).not.toThrow();
    },
  );

  it('the echo handler from the wire format alone talks to FramedChannel', async () => {
    const index = programs.findIndex((b) => b.meta.includes('[echo_handler.c]'));
    expect(index).toBeGreaterThanOrEqual(0);
    const child = spawn(compile(index), [], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { UMD_PROTOCOL: 'framed' },
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const channel = FramedChannel.fromChild(child);
    try {
      const hello = await channel.waitForHello(); // however long a start takes under load
      expect(hello).toMatchObject({ version: 1, maxPayload: 1024 * 1024, name: 'c-echo' });

      await expectGuideEcho((payload, timeoutMs = 5_000) =>
        channel.request(payload, { timeoutMs }),
      );
    } finally {
      child.stdin.end();
      channel.close();
    }
    // End of input: the handler exits 0 on its own.
    expect(await exited).toBe(0);
  });
});
