/**
 * A handler that breaks the contract is caught by check(): a typed protocol error, the handler
 * is killed (fail-stop) and the next request gets a fresh one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { defineLoader } from '@umd/mgmt';
import { buildBlob } from '@umd/build';
import { createSampleManager } from '@umd/sample-umd';
import { afterAll, describe, expect, it } from 'vitest';

const outDir = mkdtempSync(join(tmpdir(), 'umd-liar-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('a handler that breaks the contract', () => {
  it('gets UMD_PROTOCOL for a stray byte or a short reply, and is replaced', async () => {
    const blob = await buildBlob({
      entry: join(import.meta.dirname, 'fixtures', 'lying-handler.mjs'),
      outDir,
      name: 'liar',
    });
    const driver = createSampleManager({
      handler: 'ts',
      loader: async () =>
        defineLoader({ name: 'liar', mode: 'framed', script: blob.file, sha256: blob.sha256 }),
    });
    const exits: Array<{ pid: number; expected: boolean }> = [];
    driver.manager.on('exit', ({ pid, expected }) => exits.push({ pid, expected }));
    try {
      const stray = await driver.check(100).catch((error: unknown) => error);
      expect(isUmdError(stray, UmdErrorCode.PROTOCOL)).toBe(true);
      expect((stray as Error).message).toMatch(
        /broke the contract: reply byte 101 is 9, expected 0/,
      );
      const first = (stray as { pid: number }).pid;
      const short = await driver.check(7).catch((error: unknown) => error);
      expect(isUmdError(short, UmdErrorCode.PROTOCOL)).toBe(true);
      expect((short as Error).message).toMatch(/reply is 1000 bytes, expected 131072/);
      expect((short as { pid: number }).pid).not.toBe(first);
      expect(exits).toContainEqual({ pid: first, expected: false });
    } finally {
      await driver.stop();
    }
  });
});
