/**
 * Fuzzing: tens of thousands of mutated signatures and keyrings through the real handler.
 * The host never crashes or hangs, every failure is typed, the honest handler's replies are
 * never refused as lies, and wherever the driver says good, gpg says good too.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgpVerifier, isPgpError, type Keyring } from '@umd/pgp';
import { isUmdError } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, gpgVerify, noGpg, put } from './gnupg.js';

const RUNS = Number(process.env.PGP_FUZZ_RUNS ?? 20_000);
const SEED = Number(process.env.PGP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const verifier = createPgpVerifier();
const home = noGpg ? undefined : new GpgHome();
const DATA = 'fuzzed data\n';
let keys: Buffer;
let keyring: Keyring;
const sigs: Buffer[] = [];

/** xorshift32: the seed is printed, so a failure can be replayed with PGP_FUZZ_SEED. */
function rng(seed: number): (n: number) => number {
  let x = seed || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** One random mutation: flip, set, insert, delete, truncate, or duplicate a range. */
function mutate(input: Buffer, r: (n: number) => number): Buffer {
  const b = Buffer.from(input);
  const at = r(b.length);
  switch (r(7)) {
    case 0:
      b[at] = (b[at] as number) ^ (1 << r(8));
      return b;
    case 1:
      b[at] = [0, 0xff, 0x7f, 0x80, 0xc0, 0xdf, 0xe0][r(7)] as number;
      return b;
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from([r(256)]), b.subarray(at)]);
    case 3:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r(8))]);
    case 4:
      return b.subarray(0, at);
    case 5: {
      const len = r(32);
      return Buffer.concat([
        b.subarray(0, at + len),
        b.subarray(at, at + len),
        b.subarray(at + len),
      ]);
    }
    default:
      for (let i = 0; i < 1 + r(4); i++) b[r(b.length)] = r(256);
      return b;
  }
}

beforeAll(async () => {
  if (!home) return;
  const ed = home.genKey('Fuzz Ed <ed@example.org>', 'ed25519', 'cert');
  home.run(['--quick-add-key', ed, 'ed25519', 'sign', '2y']);
  const rsa = home.genKey('Fuzz RSA <rsa@example.org>', 'rsa2048');
  const p256 = home.genKey('Fuzz P256 <p@example.org>', 'nistp256');
  keys = home.exportKeys([ed, rsa, p256]);
  keyring = await verifier.readKeys(keys);
  for (const who of [ed, rsa, p256]) {
    sigs.push(home.run(['-u', who, '--detach-sign'], { input: DATA }).stdout);
    sigs.push(home.run(['-u', who, '--detach-sign', '--armor'], { input: DATA }).stdout);
  }
}, 120_000);

afterAll(async () => {
  await verifier.stop();
  home?.dispose();
});

describe.skipIf(noGpg)(`fuzz (seed ${SEED}, ${RUNS} runs)`, () => {
  it('mutated signatures and keyrings: typed errors only, good only where gpg says good', async () => {
    const r = rng(SEED);
    const outcomes: Record<string, number> = {};
    const confirmed: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const mutateKeys = run % 4 === 3;
      const sig = sigs[r(sigs.length)] as Buffer;
      let input = mutateKeys ? keys : sig;
      for (let n = 1 + r(3); n > 0; n--) input = mutate(input, r);
      let outcome: string;
      try {
        const k = mutateKeys ? await verifier.readKeys(input, { timeoutMs: 10_000 }) : keyring;
        const result = await verifier.verifyDetached(DATA, mutateKeys ? sig : input, {
          keys: k,
          timeoutMs: 10_000,
        });
        outcome = result.status;
      } catch (error) {
        if (!isPgpError(error) && !isUmdError(error)) throw error;
        outcome = error.code;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      // The honest handler and the host agree on every input: a "lie" here is a bug in one.
      expect([run, outcome]).not.toEqual([run, 'PGP_HANDLER_LIED']);
      if (outcome === 'good' && !input.equals(mutateKeys ? keys : sig)) {
        // Still good after a mutation (an unhashed byte, armor whitespace): gpg must agree.
        const theirs = mutateKeys
          ? gpgVerify(input, (dir) => ['--verify', put(dir, 's', sig), put(dir, 'd', DATA)])
          : gpgVerify(keys, (dir) => ['--verify', put(dir, 's', input), put(dir, 'd', DATA)]);
        if (theirs !== 'good') {
          const saved = join(
            tmpdir(),
            `pgp-fuzz-${SEED}-${run}-${mutateKeys ? 'keys' : 'sig'}.bin`,
          );
          writeFileSync(saved, input);
          expect.fail(`run ${run}: driver good, gpg ${theirs}; input saved in ${saved}`);
        }
        confirmed.push(String(run));
      }
    }
    console.log(
      `fuzz seed ${SEED}: ${JSON.stringify(outcomes)}; ${confirmed.length} mutated inputs still good, each confirmed by gpg`,
    );
    // The next request after all that still works.
    const after = await verifier.verifyDetached(DATA, sigs[0] as Buffer, { keys: keyring });
    expect(after.status).toBe('good');
  }, 1_800_000);
});
