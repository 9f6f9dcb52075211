/**
 * The C handler on its own (spawned directly, real pipes) and through the manager.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isUmdError } from '@umd/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childrenOf,
  createSampleManager,
  encodeRequest,
  REPLY_SIZE,
  replyProblem,
  type SampleManager,
} from '@umd/sample-umd';
import { unavailableHandlers } from './helpers.js';

const skip = unavailableHandlers.c;
const manifest = JSON.parse(
  readFileSync(new URL('../dist/blobs/sample-c.blob.json', import.meta.url), 'utf8'),
) as { file: string | null };
const executable =
  manifest.file === null
    ? ''
    : fileURLToPath(new URL(`../dist/blobs/${manifest.file}`, import.meta.url));

function run(
  input: Uint8Array,
  env: Record<string, string> = { UMD_PROTOCOL: 'raw' },
): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
    child.stdin.on('error', () => {}); // the handler may exit before reading everything
    child.stdin.end(input);
  });
}

describe.skipIf(skip)('C handler, spawned directly', () => {
  it('answers requests written in one go, each with a full 128 KiB reply, and exits 0 on EOF', async () => {
    const offsets = [0, 4096, REPLY_SIZE - 1, 4096];
    const { status, stdout } = await run(
      Buffer.concat(offsets.map((offset) => encodeRequest(offset))),
    );
    expect(status).toBe(0);
    expect(stdout.length).toBe(offsets.length * REPLY_SIZE);
    offsets.forEach((offset, i) => {
      expect(
        replyProblem(offset, stdout.subarray(i * REPLY_SIZE, (i + 1) * REPLY_SIZE)),
      ).toBeUndefined();
    });
  });

  it('stops with status 22 on an invalid offset, after answering the valid ones', async () => {
    const bad = Uint8Array.of(0, 0, 2, 0); // 131072
    const { status, stdout, stderr } = await run(
      Buffer.concat([encodeRequest(5), bad, encodeRequest(6)]),
    );
    expect(status).toBe(22);
    expect(stdout.length).toBe(REPLY_SIZE);
    expect(stderr).toMatch(/offset 131072 is out of range .*EINVAL/);
  });

  it('stops with status 1 on a truncated request, and 2 when told to speak framed mode', async () => {
    expect(await run(Uint8Array.of(1, 2))).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/truncated request \(2 of 4 bytes\)/),
    });
    expect(await run(new Uint8Array(0), { UMD_PROTOCOL: 'framed' })).toMatchObject({ status: 2 });
    expect(await run(new Uint8Array(0))).toMatchObject({ status: 0, stdout: Buffer.alloc(0) });
  });
});

describe.skipIf(skip)('C handler through the manager (raw mode)', () => {
  let driver: SampleManager | undefined;
  afterEach(async () => {
    await driver?.stop();
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it('fails the request that kills it with a typed error carrying status and stderr, then recovers', async () => {
    driver = createSampleManager({ handler: 'c' });
    const first = await driver.check(100);
    const error = await driver.manager.requestRaw(Uint8Array.of(0, 0, 2, 0), REPLY_SIZE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUmdError(error)).toBe(true);
    expect(error).toMatchObject({ exitCode: 22 });
    expect((error as { stderrTail?: string[] }).stderrTail?.join('\n')).toMatch(/out of range/);
    const next = await driver.check(200);
    expect(next.pid).not.toBe(first.pid);
  });
});
