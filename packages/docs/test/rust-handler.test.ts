// The Rust handler of the site, written from the wire format alone, is compiled with rustc
// (Debian's package in CI) and runs as a real native handler under UmdManager.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '@umd/build';
import { defineLoader, UmdManager } from '@umd/mgmt';
import { describe, expect, it } from 'vitest';
import { expectGuideEcho } from './guide-echo.js';
import { codeBlocks } from './markdown.js';
import { TMP_DIR } from './site.js';

const haveRustc = spawnSync('rustc', ['--version']).status === 0;
if (!haveRustc && process.env.CI)
  throw new Error('rustc not found and CI is set: the Rust handler must be compiled');

describe.skipIf(!haveRustc)('the Rust handler of the site', () => {
  it('compiles with rustc and answers the manager: HELLO, echo, EINVAL, too large, exit', async () => {
    const block = codeBlocks('guide/handler-rust.md').find(
      (b) => b.lang === 'rust' && b.meta.includes('[echo_handler.rs]'),
    );
    expect(block, 'a ```rust [echo_handler.rs] block').toBeDefined();
    const dir = join(TMP_DIR, 'rust');
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'echo_handler.rs');
    const binary = join(dir, 'rust_echo');
    writeFileSync(source, block!.code);
    execFileSync('rustc', ['--edition', '2021', '-O', '-D', 'warnings', '-o', binary, source], {
      stdio: 'pipe',
    });

    const manager = new UmdManager({
      name: 'rust-echo',
      loader: defineLoader({
        name: 'rust-echo',
        mode: 'framed',
        executable: binary,
        sha256: await sha256File(binary),
      }),
    });
    const exits: unknown[] = [];
    manager.on('exit', (info) => exits.push(info));
    try {
      await expectGuideEcho((payload, timeoutMs) =>
        manager.request(payload, timeoutMs === undefined ? undefined : { timeoutMs }),
      );
      expect(manager.stats().starts).toBe(1);
    } finally {
      await manager.stop();
    }
    // stop() closes stdin: the handler exits 0 on its own, before any signal.
    expect(exits).toEqual([expect.objectContaining({ exitCode: 0, signal: null, expected: true })]);
  });
});
