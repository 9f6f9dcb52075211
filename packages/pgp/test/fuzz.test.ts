/**
 * Fuzzing: tens of thousands of mutated signatures and keyrings through the real handler.
 * The host never crashes or hangs, every failure is typed, the honest handler's replies are
 * never refused as lies, and wherever the driver says good, gpg says good too.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgpVerifier, isPgpError, type Keyring, PIPELINE_DEPTH } from '@umd/pgp';
import { isUmdError } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, gpgVerifyAsync, gpgvVerifyAsync, noGpg, put } from './gnupg.js';
import { mutate, rng } from './mutate.js';
import { mutateStructure } from './mutate-packets.js';

const RUNS = Number(process.env.PGP_FUZZ_RUNS ?? 20_000);
const SEED = Number(process.env.PGP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const verifier = createPgpVerifier();
const home = noGpg ? undefined : new GpgHome();
const DATA = 'fuzzed data\n';
let keys: Buffer;
/** Each signer's key alone, in the order of `sigs` (two signatures per signer). */
const ownKeys: Buffer[] = [];
let keyring: Keyring;
let keyringFile: string;
const sigs: Buffer[] = [];

beforeAll(async () => {
  if (!home) return;
  const ed = home.genKey('Fuzz Ed <ed@example.org>', 'ed25519', 'cert');
  home.run(['--quick-add-key', ed, 'ed25519', 'sign', '2y']);
  const rsa = home.genKey('Fuzz RSA <rsa@example.org>', 'rsa2048');
  const p256 = home.genKey('Fuzz P256 <p@example.org>', 'nistp256');
  keys = home.exportKeys([ed, rsa, p256]);
  for (const who of [ed, rsa, p256]) ownKeys.push(home.exportKeys([who]));
  keyring = await verifier.readKeys(keys);
  keyringFile = put(home.dir, 'fuzz-keys.gpg', keys);
  for (const who of [ed, rsa, p256]) {
    sigs.push(home.run(['-u', who, '--detach-sign'], { input: DATA }).stdout);
    sigs.push(home.run(['-u', who, '--detach-sign', '--armor'], { input: DATA }).stdout);
  }
}, 120_000);

afterAll(async () => {
  await verifier.stop();
  home?.dispose();
});

/** One fuzz case: which input was mutated, and into what. */
interface Case {
  run: number;
  mutateKeys: boolean;
  sig: Buffer;
  /** The unmutated input. */
  original: Buffer;
  input: Buffer;
}

/** The driver's outcome for one case: a status, or an error's code. */
async function outcomeOf(c: Case): Promise<string> {
  try {
    const k = c.mutateKeys ? await verifier.readKeys(c.input, { timeoutMs: 30_000 }) : keyring;
    const result = await verifier.verifyDetached(DATA, c.mutateKeys ? c.sig : c.input, {
      keys: k,
      timeoutMs: 30_000,
    });
    return result.status;
  } catch (error) {
    if (!isPgpError(error) && !isUmdError(error)) throw error;
    return error.code;
  }
}

/**
 * gpg's verdict on a case the driver called good: mutated keys are imported by gpg into a
 * fresh home; a mutated signature goes to gpgv (gpg's own verifier, one process) with the
 * keys gpg exported.
 */
function gpgOutcome(c: Case): Promise<string> {
  if (c.mutateKeys) {
    return gpgVerifyAsync(c.input, (dir) => [
      '--verify',
      put(dir, 's', c.sig),
      put(dir, 'd', DATA),
    ]);
  }
  return gpgvVerifyAsync(keyringFile, c.input, DATA);
}

/** Confirmations with gpg running at once (each is two short gpg processes). */
const GPG_PARALLEL = 4;

describe.skipIf(noGpg)(`fuzz (seed ${SEED}, ${RUNS} runs)`, () => {
  it('mutated signatures and keyrings: typed errors only, good only where gpg says good', async () => {
    const r = rng(SEED);
    const cases: Case[] = [];
    for (let run = 0; run < RUNS; run++) {
      // One case in eight mutates keys: mostly the signer's key alone, sometimes the whole
      // keyring (a mutated keyring that stays good needs two gpg processes to confirm).
      const mutateKeys = run % 8 === 7;
      const signer = r(sigs.length);
      const sig = sigs[signer] as Buffer;
      const ring = r(4) === 0 ? keys : (ownKeys[signer >> 1] as Buffer);
      const original = mutateKeys ? ring : sig;
      let input = original;
      // One mutation in three is structure-aware where the input still frames as packets.
      for (let n = 1 + r(3); n > 0; n--)
        input = (r(3) === 0 && mutateStructure(input, r)) || mutate(input, r);
      cases.push({ run, mutateKeys, sig, original, input });
    }
    // Many cases at once: the verifier pipelines them to its handler, as a busy host would.
    const outcomes: Record<string, number> = {};
    const stillGood = new Map<string, Case>();
    let next = 0;
    const worker = async () => {
      for (let c = cases[next++]; c; c = cases[next++]) {
        const outcome = await outcomeOf(c);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        // The honest handler and the host agree on every input: a "lie" here is a bug in one.
        expect([c.run, outcome]).not.toEqual([c.run, 'PGP_HANDLER_LIED']);
        if (outcome === 'good' && !c.input.equals(c.original)) {
          const id = `${c.mutateKeys}:${createHash('sha256').update(c.input).update(c.sig).digest('hex')}`;
          stillGood.set(id, c);
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: PIPELINE_DEPTH }, worker));
    const t1 = performance.now();
    // Still good after a mutation (an unhashed byte, armor whitespace): gpg must agree.
    const toConfirm = [...stillGood.values()];
    const keyGoods = toConfirm.filter((c) => c.mutateKeys).length;
    const disagreements: string[] = [];
    const confirm = async () => {
      for (let c = toConfirm.pop(); c; c = toConfirm.pop()) {
        const theirs = await gpgOutcome(c);
        if (theirs === 'good') continue;
        const what = c.mutateKeys ? 'keys' : 'sig';
        const saved = join(tmpdir(), `pgp-fuzz-${SEED}-${c.run}-${what}.bin`);
        writeFileSync(saved, c.input);
        disagreements.push(`run ${c.run}: driver good, gpg ${theirs}; input saved in ${saved}`);
      }
    };
    await Promise.all(Array.from({ length: GPG_PARALLEL }, confirm));
    expect(disagreements).toEqual([]);
    const t2 = performance.now();
    console.log(
      `fuzz seed ${SEED}: ${JSON.stringify(outcomes)}; ${stillGood.size} distinct mutated inputs still good (${keyGoods} of them keyrings), each confirmed by gpg (driver ${((t1 - t0) / 1000).toFixed(1)} s, gpg ${((t2 - t1) / 1000).toFixed(1)} s)`,
    );
    // The next request after all that still works.
    const after = await verifier.verifyDetached(DATA, sigs[0] as Buffer, { keys: keyring });
    expect(after.status).toBe('good');
  }, 1_800_000);
});
