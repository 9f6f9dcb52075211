// The Rust handler of the site, written from the wire format alone, is compiled with rustc
// (Debian's package in CI) and runs as a real native handler under UmdManager.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '@umd/build';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { defineLoader, UmdManager } from '@umd/mgmt';
import { describe, expect, it } from 'vitest';
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
      const small = new TextEncoder().encode('abc');
      expect(await manager.request(small)).toEqual(small);
      const large = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      const echoed = await manager.request(large, { timeoutMs: 10_000 });
      expect(Buffer.from(echoed).equals(Buffer.from(large))).toBe(true);
      const empty = await manager.request(new Uint8Array(0)).catch((e: unknown) => e);
      expect(isUmdError(empty, UmdErrorCode.HANDLER_ERROR)).toBe(true);
      expect(empty).toMatchObject({
        handlerCode: -22,
        message: expect.stringContaining('empty request'),
      });
      // The HELLO said 1 MiB: a larger request is refused unsent, and the handler goes on.
      const tooLarge = await manager
        .request(new Uint8Array(1024 * 1024 + 1))
        .catch((e: unknown) => e);
      expect(isUmdError(tooLarge, UmdErrorCode.TOO_LARGE)).toBe(true);
      expect(await manager.request(small)).toEqual(small);
      expect(manager.stats().starts).toBe(1);
    } finally {
      await manager.stop();
    }
    // stop() closes stdin: the handler exits 0 on its own, before any signal.
    expect(exits).toEqual([expect.objectContaining({ exitCode: 0, signal: null, expected: true })]);
  });
});
