/**
 * A handler that lies (a compromised parser) must never turn bad input into a good verdict:
 * every lie is caught as PGP_HANDLER_LIED (and the liar is killed) or ends in a verdict that
 * is not good. A handler that crashes gives a typed error and the next request works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { defineLoader } from '@umd/mgmt';
import { buildBlob } from '@umd/build';
import { createPgpVerifier, isPgpError, type PgpVerifier } from '@umd/pgp';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GpgHome, noGpg } from './gnupg.js';

const outDir = mkdtempSync(join(tmpdir(), 'umd-pgp-liar-'));
const home = noGpg ? undefined : new GpgHome();
let blob: { file: string; sha256: string };
let trusted: Buffer;
let stranger: Buffer;
const sig: Record<string, Buffer> = {};
const DATA = 'pay 10 to alice\n';
const TAMPERED = 'pay 99 to mallory\n';

beforeAll(async () => {
  blob = await buildBlob({
    entry: join(import.meta.dirname, 'fixtures', 'lying-handler.ts'),
    outDir,
    name: 'liar',
  });
  if (!home) return;
  const fpr = home.genKey('Trusted <t@example.org>', 'ed25519', 'cert');
  home.run(['--quick-add-key', fpr, 'ed25519', 'sign', '2y']);
  const other = home.genKey('Mallory <m@example.org>', 'ed25519');
  trusted = home.exportKeys([fpr]);
  stranger = home.exportKeys([other]);
  const sign = (who: string, args: string[], data = DATA) =>
    home.run(['-u', who, ...args], { input: data }).stdout;
  sig.good = sign(fpr, ['--detach-sign']);
  sig.mallory = sign(other, ['--detach-sign'], TAMPERED);
  sig.clear = sign(fpr, ['--clearsign']);
  sig.inline = sign(fpr, ['--sign', '-z', '0']);
}, 120_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  home?.dispose();
});

/** A verifier over the liar in `mode`, stopped once the test that made it has finished. */
function liar(mode: string): PgpVerifier {
  const verifier = createPgpVerifier({
    env: { LIAR_MODE: mode },
    loader: async () =>
      defineLoader({ name: 'pgp', mode: 'framed', script: blob.file, sha256: blob.sha256 }),
  });
  onTestFinished(() => verifier.stop());
  return verifier;
}

/** The verdict, or the error code: anything but 'good' is what we need. */
async function outcome(run: () => Promise<{ status: string }>): Promise<string> {
  try {
    return (await run()).status;
  } catch (error) {
    if (isPgpError(error) || isUmdError(error)) return error.code;
    throw error;
  }
}

describe.skipIf(noGpg)('a lying handler', () => {
  it('an honest run of the same fixture says good (the baseline the lies start from)', async () => {
    const v = liar('honest');
    expect(await outcome(() => v.verifyDetached(DATA, sig.good as Buffer, { keys: trusted }))).toBe(
      'good',
    );
    expect(await outcome(() => v.verifyCleartext(sig.clear as Buffer, { keys: trusted }))).toBe(
      'good',
    );
    expect(await outcome(() => v.verifyInline(sig.inline as Buffer, { keys: trusted }))).toBe(
      'good',
    );
  });

  it('replaying an earlier good reply is caught, and the liar is replaced', async () => {
    const v = liar('replay');
    expect(await outcome(() => v.verifyDetached(DATA, sig.good as Buffer, { keys: trusted }))).toBe(
      'good',
    );
    const pid = v.manager.pid;
    // Mallory's signature over the tampered text; the liar answers with the good one.
    const got = await outcome(() =>
      v.verifyDetached(TAMPERED, sig.mallory as Buffer, { keys: trusted }),
    );
    expect(got).toBe('PGP_HANDLER_LIED');
    expect(v.manager.pid).not.toBe(pid);
    // Keys: asked to parse Mallory's key, a replaying liar returns the trusted one.
    const keys = await outcome(async () => ({
      status: String((await v.readKeys(stranger)).keys.length),
    }));
    expect(['PGP_HANDLER_LIED', '1']).toContain(keys);
  });

  for (const mode of [
    'verdict',
    'left16',
    'drop-unhashed',
    'out-of-range',
    'not-json',
    'no-backsig',
  ]) {
    it(`${mode}: never good`, async () => {
      const v = liar(mode);
      const detached = await outcome(() =>
        v.verifyDetached(TAMPERED, sig.good as Buffer, { keys: trusted }),
      );
      expect(detached).not.toBe('good');
      const honestData = await outcome(() =>
        v.verifyDetached(DATA, sig.good as Buffer, { keys: trusted }),
      );
      // The liar's reply is refused even where the data is fine: nothing it says is used.
      expect(honestData).toBe('PGP_HANDLER_LIED');
    });
  }

  it('text-span and literal: a cleartext or inline message made bad is never good', async () => {
    for (const mode of ['text-span', 'literal']) {
      const v = liar(mode);
      const clear = (sig.clear as Buffer).toString().replace('pay 10', 'pay 99');
      expect(await outcome(() => v.verifyCleartext(clear, { keys: trusted }))).not.toBe('good');
      const inline = Buffer.from(sig.inline as Buffer);
      inline[inline.indexOf('pay 10') + 4] = 0x39;
      expect(await outcome(() => v.verifyInline(inline, { keys: trusted }))).not.toBe('good');
    }
  });

  it('a handler that crashes gives a typed error, and the next request works', async () => {
    const v = liar('crash');
    const crashed = await outcome(() =>
      v.verifyDetached(DATA, Buffer.from('!boom'), { keys: trusted }),
    );
    expect(crashed).toBe(UmdErrorCode.HANDLER_EXITED);
    expect(await outcome(() => v.verifyDetached(DATA, sig.good as Buffer, { keys: trusted }))).toBe(
      'good',
    );
    // Pipelined: the requests in flight with the crash get a typed error, never a verdict
    // from another request's reply; the rest are answered.
    const calls = Array.from({ length: 40 }, (_, i) =>
      outcome(() =>
        v.verifyDetached(
          i === 20 ? TAMPERED : DATA,
          i === 20 ? Buffer.from('!boom') : (sig.good as Buffer),
          {
            keys: trusted,
          },
        ),
      ),
    );
    const got = await Promise.all(calls);
    expect(got[20]).toBe(UmdErrorCode.HANDLER_EXITED);
    for (const status of got) expect(['good', UmdErrorCode.HANDLER_EXITED]).toContain(status);
    expect(got.filter((s) => s === 'good').length).toBeGreaterThan(0);
    expect(await outcome(() => v.verifyDetached(DATA, sig.good as Buffer, { keys: trusted }))).toBe(
      'good',
    );
  });
});
