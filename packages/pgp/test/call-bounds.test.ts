/**
 * What the host reads itself (the caller's signed data, an RPM's payload, an appraised file)
 * is bounded by the call's `signal` and `timeoutMs` with the documented typed errors, and a
 * call keeps its host alive until it settles. Found by trying the API as a user would.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appraise, createPgpVerifier, isPgpError, type RpmResult } from '@umd/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, noGpg } from './gnupg.js';
import { buildRpm, noRpm } from './rpmbuild.js';

const skip = noGpg ?? noRpm;
const home = skip ? undefined : new GpgHome();
const verifier = createPgpVerifier();
const DATA = 'release 1.0\n';
/** Far more than the host can read within the tests' timeouts: a sparse file. */
const HUGE = 64 * 2 ** 30;
let keys: Buffer;
let signature: Buffer;
let smallRpm: string;
let hugeRpm: string;
let hugeFile: string;

beforeAll(() => {
  if (!home) return;
  const fpr = home.genKey('Bounds <b@example.org>', 'ed25519');
  keys = home.exportKeys([fpr]);
  signature = home.run(['-u', fpr, '--detach-sign'], { input: DATA }).stdout;
  // A real package whose payload goes on for 64 GiB (of zeros).
  hugeRpm = join(home.dir, 'huge.rpm');
  smallRpm = buildRpm(home.dir, 'bounds', { '/usr/bin/bounds': 'x\n' });
  copyFileSync(smallRpm, hugeRpm);
  truncateSync(hugeRpm, HUGE);
  hugeFile = join(home.dir, 'huge.bin');
  writeFileSync(hugeFile, '');
  truncateSync(hugeFile, HUGE);
}, 120_000);

afterAll(async () => {
  await verifier.stop();
  home?.dispose();
});

/** The code of what `run` rejected with (a bare error's name: no code). */
async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? `no code: ${(error as Error).name}`;
  }
}

describe.skipIf(skip)('the call bounds what the host reads', () => {
  // Found by trying it: `AbortSignal.timeout()`'s timer is unreferenced, so a script whose only
  // pending work was the call ended with it unsettled (exit status 13), never seeing its timeout.
  it('a host awaiting a call whose source stalls gets UMD_TIMEOUT from timeoutMs', () => {
    const dir = home!.dir;
    writeFileSync(join(dir, 'keys'), keys);
    writeFileSync(join(dir, 'sig'), signature);
    const script = `
      import { readFileSync } from 'node:fs';
      import { createPgpVerifier } from '@umd/pgp';
      const keys = readFileSync(${JSON.stringify(join(dir, 'keys'))});
      const sig = readFileSync(${JSON.stringify(join(dir, 'sig'))});
      const v = createPgpVerifier();
      // Warm: the handler's start is not what the timeout catches.
      console.log((await v.verifyDetached('release 1.0\\n', sig, { keys })).status);
      async function* stalls() { yield Buffer.from('release'); await new Promise(() => {}); }
      try {
        await v.verifyDetached(stalls(), sig, { keys, timeoutMs: 500 });
        console.log('resolved');
      } catch (error) {
        console.log(error.code);
      } finally {
        await v.stop();
      }
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.trim().split('\n')).toEqual(['good', 'UMD_TIMEOUT']);
  });

  // Found by trying it: the payload read was bounded by neither timeoutMs (a 20 GiB package
  // read on past a minute with timeoutMs: 1000) nor, typed, the signal (a bare AbortError).
  // The deadlines leave the handler's part (the head, a few ms) far behind them, so that they end
  // the host's own read: a deadline inside the handler's request would kill the handler, which
  // `failures: 0` rules out (the CI at load 15 once met that with 1000 and 500 ms, the handler's
  // RPM path not yet run).
  it('verifyRpm: a huge payload ends with the call, UMD_TIMEOUT or UMD_ABORTED', async () => {
    await failure(() => verifier.verifyRpm(smallRpm, { keys })); // warm: the same path, all of it
    expect(await failure(() => verifier.verifyRpm(hugeRpm, { keys, timeoutMs: 3000 }))).toBe(
      'UMD_TIMEOUT',
    );
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 2000);
    expect(await failure(() => verifier.verifyRpm(hugeRpm, { keys, signal: aborted.signal }))).toBe(
      'UMD_ABORTED',
    );
    expect(verifier.manager.stats()).toMatchObject({ failures: 0 });
  });

  // Found by trying it: an aborted signal was not looked at before the read (a file no package
  // lists was appraised anyway), one that fired during the read was a bare AbortError, and
  // options without a packages array were a bare TypeError.
  it('appraise: its signal, before and during the read, and its options, typed', async () => {
    const listed: RpmResult = {
      status: 'good',
      digests: { headerSha256: 'ok', headerSha1: 'ok', payload: 'ok', md5: 'ok' },
      summary: '',
      name: 'huge',
      version: '1',
      release: '1',
      arch: 'noarch',
      files: [{ path: '/huge.bin', digest: '00', size: HUGE, mode: 0o100644 }],
      fileDigestAlgorithm: 8,
    } as unknown as RpmResult;
    const before = AbortSignal.abort();
    expect(await failure(() => appraise(hugeFile, { packages: [], signal: before }))).toBe(
      'UMD_ABORTED',
    );
    const during = new AbortController();
    setTimeout(() => during.abort(), 300);
    const options = { packages: [listed], path: '/huge.bin', signal: during.signal };
    expect(await failure(() => appraise(hugeFile, options))).toBe('UMD_ABORTED');
    const timed = { packages: [listed], path: '/huge.bin', signal: AbortSignal.timeout(300) };
    expect(await failure(() => appraise(hugeFile, timed))).toBe('UMD_TIMEOUT');
    const unusable: unknown[] = [
      [5, { packages: [] }],
      [hugeFile, null],
      [hugeFile, { packages: null }],
      [hugeFile, { packages: [], signal: 'x' }],
      [hugeFile, { packages: [], root: 5 }],
      [
        hugeFile,
        Object.defineProperty({}, 'packages', {
          get: () => {
            throw new Error('no');
          },
        }),
      ],
    ];
    // An entry of packages that is no verifyRpm result: typed too, not a TypeError mid-appraisal.
    const throwing = Object.defineProperty({ ...listed }, 'status', {
      get: () => {
        throw new Error('no');
      },
    });
    for (const entry of [
      null,
      7,
      { ...listed, status: 5 },
      { ...listed, name: undefined },
      { ...listed, files: 'x' },
      { ...listed, files: [null] },
      { ...listed, files: [{ path: 1, digest: '00' }] },
      { ...listed, fileDigestAlgorithm: '8' },
      throwing,
    ])
      unusable.push([hugeFile, { packages: [entry], path: '/huge.bin' }]);
    for (const [file, given] of unusable as Array<[string, never]>) {
      const error = await appraise(file, given).catch((e: unknown) => e);
      expect(isPgpError(error, 'PGP_INVALID_ARGUMENT'), String(error)).toBe(true);
    }
  });
});
