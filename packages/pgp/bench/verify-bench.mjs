#!/usr/bin/env node
// Signature verifications per second, in one run: @umd/pgp (parser in a handler process,
// node:crypto in the host) beside openpgp.js verifying in-process (the baseline) and gpgv
// spawned per file; plus the cold start of a first verification. Keys and signatures are
// made with gpg in a temporary home. Needs a build (pnpm --filter @umd/pgp build) and gpg.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as openpgp from 'openpgp';
import { createPgpVerifier } from '@umd/pgp';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const home = mkdtempSync(join(tmpdir(), 'umd-pgp-bench-'));
const gpg = (args, input) => {
  const r = spawnSync(
    'gpg',
    [
      '--homedir',
      home,
      '--batch',
      '--yes',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ],
    { input, maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
};

/**
 * Calls per second of `a` and of `b`, `parallel` calls at a time, measured in alternating
 * slices of SLICE_MS for SECONDS each (after a short warm-up): on a machine whose load
 * changes, both see the same load, so their ratio holds even where the figures move.
 */
async function compare(a, b, parallel = 1) {
  const round = (fn) => Promise.all(Array.from({ length: parallel }, fn));
  for (let i = 0; i < 5; i++) await Promise.all([round(a), round(b)]);
  const n = [0, 0];
  const spent = [0, 0];
  while (spent[0] + spent[1] < 2 * SECONDS * 1000) {
    for (const [i, fn] of [a, b].entries()) {
      const start = performance.now();
      do {
        await round(fn);
        n[i] += parallel;
      } while (performance.now() - start < SLICE_MS);
      spent[i] += performance.now() - start;
    }
  }
  return [n[0] / (spent[0] / 1000), n[1] / (spent[1] / 1000)];
}

/** Runs `fn` for SECONDS, one call at a time; returns calls per second. */
async function rate(fn) {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Length of one slice of a comparison. */
const SLICE_MS = 100;

/** Concurrent callers in the second set of rows (the driver pipelines them). */
const PARALLEL = 32;

const sizes = { '1 KiB': 1024, '1 MiB': 1024 * 1024 };
const rows = [];
const parallelRows = [];
try {
  const keysOf = {};
  for (const [name, algo] of [
    ['Ed25519', 'ed25519'],
    ['RSA-3072', 'rsa3072'],
  ]) {
    const r = spawnSync(
      'gpg',
      [
        '--homedir',
        home,
        '--batch',
        '--pinentry-mode',
        'loopback',
        '--passphrase',
        '',
        '--quick-gen-key',
        `Bench ${name} <b@example.org>`,
        algo,
        'sign',
        '1y',
      ],
      { encoding: 'utf8' },
    );
    keysOf[name] = /([0-9A-F]{40})\.rev/.exec(r.stderr)[1];
  }
  const driver = createPgpVerifier();
  for (const [alg, fpr] of Object.entries(keysOf)) {
    const keyBytes = gpg(['--export', fpr]);
    const keyFile = join(home, `${alg}.gpg`);
    writeFileSync(keyFile, keyBytes);
    const keyring = await driver.readKeys(keyBytes);
    const opKey = await openpgp.readKey({ binaryKey: keyBytes });
    for (const [label, size] of Object.entries(sizes)) {
      const data = Buffer.alloc(size, 'a');
      const dataFile = join(home, `data-${size}`);
      writeFileSync(dataFile, data);
      const sig = gpg(['-u', fpr, '--detach-sign'], data);
      const sigFile = join(home, `${alg}-${size}.sig`);
      writeFileSync(sigFile, sig);
      const viaDriver = async () => {
        const r = await driver.verifyDetached(data, sig, { keys: keyring });
        if (r.status !== 'good') throw new Error(`driver: ${r.status}`);
      };
      const viaOpenpgp = async () => {
        const message = await openpgp.createMessage({ binary: data });
        const signature = await openpgp.readSignature({ binarySignature: sig });
        const { signatures } = await openpgp.verify({
          message,
          signature,
          verificationKeys: opKey,
        });
        await signatures[0].verified;
      };
      const spawned = await rate(async () => {
        const r = spawnSync('gpgv', ['--keyring', keyFile, sigFile, dataFile]);
        if (r.status !== 0) throw new Error('gpgv failed');
      });
      const [ours, theirs] = await compare(viaDriver, viaOpenpgp);
      const [oursParallel, theirsParallel] = await compare(viaDriver, viaOpenpgp, PARALLEL);
      rows.push({ case: `${alg}, ${label}`, driver: ours, openpgp: theirs, gpgv: spawned });
      parallelRows.push({
        case: `${alg}, ${label}`,
        driver: oursParallel,
        openpgp: theirsParallel,
      });
    }
  }
  await driver.stop();
  // Cold start: a new verifier, its first verification (loader import, handler spawn, HELLO).
  const keyBytes = gpg(['--export', keysOf.Ed25519]);
  const data = Buffer.alloc(1024, 'a');
  const sig = gpg(['-u', keysOf.Ed25519, '--detach-sign'], data);
  const colds = [];
  for (let i = 0; i < 10; i++) {
    const fresh = createPgpVerifier();
    const start = performance.now();
    await fresh.verifyDetached(data, sig, { keys: keyBytes });
    colds.push(performance.now() - start);
    await fresh.stop();
  }
  colds.sort((a, b) => a - b);
  const f = (n) => n.toFixed(0).padStart(8);
  console.log(
    `@umd/pgp verifications per second (${SECONDS} s per cell; node ${process.version}); ratio = driver / openpgp.js`,
  );
  console.log(
    `${'case'.padEnd(20)}${'driver'.padStart(8)}${'openpgp'.padStart(9)}${'gpgv'.padStart(8)}  driver/openpgp  driver/gpgv`,
  );
  for (const r of rows) {
    console.log(
      `${r.case.padEnd(20)}${f(r.driver)} ${f(r.openpgp)}${f(r.gpgv)}  ${(r.driver / r.openpgp).toFixed(2).padStart(14)}  ${(r.driver / r.gpgv).toFixed(1).padStart(11)}`,
    );
  }
  console.log(`${PARALLEL} verifications at a time (Promise.all), per second`);
  console.log(
    `${'case'.padEnd(20)}${'driver'.padStart(8)}${'openpgp'.padStart(9)}  driver/openpgp`,
  );
  for (const r of parallelRows) {
    console.log(
      `${r.case.padEnd(20)}${f(r.driver)} ${f(r.openpgp)}  ${(r.driver / r.openpgp).toFixed(2).padStart(14)}`,
    );
  }
  console.log(
    `cold start, first verification with a new verifier (Ed25519, 1 KiB, keys parsed too): median ${colds[5].toFixed(1)} ms, min ${colds[0].toFixed(1)} ms, max ${colds[9].toFixed(1)} ms`,
  );
} finally {
  spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
  rmSync(home, { recursive: true, force: true });
}
