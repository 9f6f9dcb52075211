/**
 * The built `umd-pgp` command: exit statuses as gpgv's for the same files, --json, and the
 * RPM commands on a package built and signed here.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, noGpg, put } from './gnupg.js';
import { buildRpm, extract, noRpm, signRpm } from './rpmbuild.js';

const CLI = fileURLToPath(new URL('../bin/umd-pgp.js', import.meta.url));
const home = noGpg ? undefined : new GpgHome();
const f: Record<string, string> = {};

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function gpgv(keyring: string, sig: string, data: string): number | null {
  return spawnSync('gpgv', ['--keyring', keyring, sig, data]).status;
}

beforeAll(() => {
  if (!home) return;
  const d = home.dir;
  const fpr = home.genKey('Cli <cli@example.org>', 'ed25519');
  const other = home.genKey('Other <other@example.org>', 'ed25519');
  f.key = put(d, 'key.gpg', home.exportKeys([fpr]));
  f.keyAsc = put(d, 'key.asc', home.exportKeys([fpr], true));
  f.other = put(d, 'other.gpg', home.exportKeys([other]));
  f.data = put(d, 'data.txt', 'some data\n');
  f.tampered = put(d, 'tampered.txt', 'some date\n');
  f.sig = put(
    d,
    'data.sig',
    home.run(['-u', fpr, '--detach-sign'], { input: 'some data\n' }).stdout,
  );
  f.garbage = put(d, 'garbage.sig', 'garbage, not a signature');
  // Signed, then revoked: the signature still verifies, by a key that is no longer valid.
  const revoked = home.genKey('Revoked <revoked@example.org>', 'ed25519');
  f.revokedSig = put(
    d,
    'revoked.sig',
    home.run(['-u', revoked, '--detach-sign'], { input: 'some data\n' }).stdout,
  );
  home.revoke(revoked);
  f.revokedKey = put(d, 'revoked.gpg', home.exportKeys([revoked]));
  f.clear = put(d, 'clear.asc', home.run(['-u', fpr, '--clearsign'], { input: 'hello\n' }).stdout);
  if (!noRpm) {
    const rpm = buildRpm(d, 'clitest', { '/usr/bin/clitest': '#!/bin/sh\necho ok\n' });
    f.rpm = signRpm(home, rpm, fpr, join(d, 'clitest-signed.rpm'));
    f.root = join(d, 'root');
    extract(f.rpm, f.root);
  }
}, 120_000);

afterAll(() => home?.dispose());

describe('umd-pgp', () => {
  it('--help, --version, unknown command', () => {
    expect(cli('--help')).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('umd-pgp verify'),
    });
    const version = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ).version;
    expect(cli('--version').stdout.trim()).toBe(`umd-pgp ${version}`);
    expect(cli('frobnicate').status).toBe(2);
    expect(cli('verify').status).toBe(2);
  }, 120_000);
});

describe.skipIf(noGpg)('umd-pgp verify, show-key', () => {
  it('exits as gpgv does: good, bad, no public key, garbage', () => {
    const cases: Array<[string, string, string, number]> = [
      [f.key as string, f.sig as string, f.data as string, 0],
      [f.key as string, f.sig as string, f.tampered as string, 1],
      [f.other as string, f.sig as string, f.data as string, 2],
      [f.key as string, f.garbage as string, f.data as string, 2],
    ];
    for (const [key, sig, data, status] of cases) {
      const ours = cli('verify', '--key', key, sig, data);
      expect([sig, data, ours.status]).toEqual([sig, data, gpgv(key, sig, data)]);
      expect(ours.status).toBe(status);
    }
  }, 120_000);

  // Found by trying it: `--key /dev/zero` read on until the host ran out of memory (2.8 GB of
  // RSS after 12 s); a file over what a call takes is refused once that much was read.
  it('a key, signature or key file that never ends is refused at the input limit, exit 2', () => {
    const cases = [
      ['verify', '--key', '/dev/zero', f.sig as string, f.data as string],
      ['verify', '--key', f.key as string, '/dev/zero', f.data as string],
      ['show-key', '/dev/zero'],
    ];
    for (const args of cases) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect([args, r.status, r.stderr]).toEqual([
        args,
        2,
        'umd-pgp: PGP_INVALID_ARGUMENT: /dev/zero: more than 67108864 bytes\n',
      ]);
    }
  }, 200_000);

  it('a signature by a revoked key exits 1, where gpgv exits 0 (REVKEYSIG)', () => {
    const [key, sig, data] = [f.revokedKey as string, f.revokedSig as string, f.data as string];
    expect(gpgv(key, sig, data)).toBe(0);
    const ours = cli('verify', '--key', key, sig, data);
    expect(ours).toMatchObject({ status: 1, stdout: expect.stringContaining('revoked') });
  }, 120_000);

  it('--json, a cleartext message with --output, show-key', () => {
    const json = JSON.parse(
      cli('verify', '--json', '-k', f.keyAsc as string, f.sig as string, f.data as string).stdout,
    );
    expect(json.status).toBe('good');
    expect(json.signatures[0].pkAlgorithmName).toBe('EdDSA');
    const out = join((home as GpgHome).dir, 'out.txt');
    expect(cli('verify', '-k', f.key as string, '-o', out, f.clear as string).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('hello');
    const shown = cli('show-key', f.keyAsc as string);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('uid   Cli <cli@example.org>');
    const keys = JSON.parse(cli('show-key', '--json', f.key as string).stdout);
    expect(keys[0].userIds[0].userId).toBe('Cli <cli@example.org>');
  }, 120_000);
});

describe.skipIf(noGpg ?? noRpm)('umd-pgp verify-rpm, rpm-digests, appraise', () => {
  it('verifies, lists digests, allows and denies', () => {
    expect(cli('verify-rpm', '-k', f.key as string, f.rpm as string)).toMatchObject({
      status: 0,
      stdout: `${f.rpm}: digests signatures OK\n`,
    });
    expect(cli('verify-rpm', '-k', f.other as string, f.rpm as string).status).toBe(2);
    const digests = cli('rpm-digests', '-k', f.key as string, f.rpm as string);
    const file = join(f.root as string, 'usr/bin/clitest');
    const sum = spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(digests).toMatchObject({ status: 0, stdout: `${sum}  /usr/bin/clitest\n` });
    const args = [
      'appraise',
      '--rpm',
      f.rpm as string,
      '-k',
      f.key as string,
      '--root',
      f.root as string,
      file,
    ];
    expect(cli(...args)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^allow .*digest-match/),
    });
    appendFileSync(file, 'rm -rf /\n');
    expect(cli(...args)).toMatchObject({
      status: 1,
      stdout: expect.stringMatching(/^deny .*digest-mismatch/),
    });
    const json = JSON.parse(cli(...args, '--json').stdout);
    expect(json[0]).toMatchObject({ allow: false, reason: 'digest-mismatch' });
  }, 180_000);
});
