/**
 * RPM packages built and signed here: verdicts equal `rpmkeys --checksig`, file digests equal
 * `rpm -qp --dump` and sha256sum of the files extracted with rpm2cpio | cpio, and the
 * appraisal allows the extracted files and denies a modified one.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appraise, createPgpVerifier, type RpmResult } from '@umd/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, noGpg } from './gnupg.js';
import { buildRpm, extract, noRpm, rpmDump, rpmkeysChecksig, signRpm } from './rpmbuild.js';

const skip = noGpg ?? noRpm;
const verifier = createPgpVerifier();
const home = skip ? undefined : new GpgHome();
const rpm: Record<string, string> = {};
const keys: Record<string, Buffer> = {};
const FILES = {
  '/usr/bin/hello': '#!/bin/sh\necho hello\n',
  '/usr/share/hello/data.txt': 'some data\n'.repeat(1000),
  '/etc/hello.conf': 'answer = 42\n',
};

beforeAll(() => {
  if (!home) return;
  const rsa = home.genKey('Packager RSA <rsa@example.org>', 'rsa3072');
  const ed = home.genKey('Packager Ed <ed@example.org>', 'ed25519');
  const other = home.genKey('Other <other@example.org>', 'rsa2048');
  keys.rsa = home.exportKeys([rsa], true);
  keys.ed = home.exportKeys([ed], true);
  keys.other = home.exportKeys([other], true);
  rpm.unsigned = buildRpm(home.dir, 'hello', FILES);
  rpm.rsa = signRpm(home, rpm.unsigned, rsa, join(home.dir, 'hello-rsa.rpm'));
  rpm.ed = signRpm(home, rpm.unsigned, ed, join(home.dir, 'hello-ed.rpm'));
  // Signed, then revoked: rpm 4.18's own OpenPGP code does not look at revocations.
  const revoked = home.genKey('Revoked Packager <revoked@example.org>', 'ed25519');
  rpm.revoked = signRpm(home, rpm.unsigned, revoked, join(home.dir, 'hello-revoked.rpm'));
  home.revoke(revoked);
  keys.revoked = home.exportKeys([revoked], true);
  const payload = readFileSync(rpm.rsa);
  payload[payload.length - 30] = (payload[payload.length - 30] as number) ^ 1;
  rpm.badPayload = join(home.dir, 'bad-payload.rpm');
  writeFileSync(rpm.badPayload, payload);
  const header = readFileSync(rpm.rsa);
  const at = header.indexOf('hello.conf');
  header[at] = 0x6a;
  rpm.badHeader = join(home.dir, 'bad-header.rpm');
  writeFileSync(rpm.badHeader, header);
}, 300_000);

afterAll(async () => {
  await verifier.stop();
  home?.dispose();
});

describe.skipIf(skip)('verify-rpm equals rpmkeys --checksig', () => {
  const cases: Array<[string, string, string, string]> = [
    ['RSA-signed, key given', 'rsa', 'rsa', 'good'],
    ['Ed25519-signed, key given', 'ed', 'ed', 'good'],
    ['unsigned', 'unsigned', 'rsa', 'unsigned'],
    ['signed, other key given', 'rsa', 'other', 'no-public-key'],
    ['payload tampered', 'badPayload', 'rsa', 'bad'],
    ['header tampered', 'badHeader', 'rsa', 'bad'],
  ];
  for (const [name, pkg, key, status] of cases) {
    it(name, async () => {
      const file = rpm[pkg] as string;
      const result = await verifier.verifyRpm(file, { keys: keys[key] as Buffer });
      expect(result.summary).toBe(rpmkeysChecksig((home as GpgHome).dir, keys[key], file));
      expect(result.status).toBe(status);
      expect(result.files !== undefined).toBe(status === 'good');
    });
  }
});

describe.skipIf(skip)('where verify-rpm is stricter than rpmkeys --checksig', () => {
  it('a package signed by a key revoked since: rpmkeys says OK, verify-rpm NOT OK', async () => {
    const file = rpm.revoked as string;
    const rpmkeys = rpmkeysChecksig((home as GpgHome).dir, keys.revoked, file);
    expect(rpmkeys).toBe('digests signatures OK');
    const result = await verifier.verifyRpm(file, { keys: keys.revoked as Buffer });
    expect(result).toMatchObject({ status: 'revoked-key', summary: 'digests SIGNATURES NOT OK' });
    expect(result.files).toBeUndefined();
  });
});

describe.skipIf(skip)('file digests and appraisal', () => {
  let good: RpmResult;
  let root: string;
  beforeAll(async () => {
    good = await verifier.verifyRpm(rpm.rsa as string, { keys: keys.rsa as Buffer });
    root = join((home as GpgHome).dir, 'root');
    extract(rpm.rsa as string, root);
  });

  it('the file list equals rpm -qp --dump and sha256sum of the extracted files', () => {
    const listed = (good.files ?? []).map(({ path, digest }) => ({ path, digest }));
    expect(listed).toEqual(rpmDump(rpm.rsa as string));
    expect(good.fileDigestAlgorithm).toBe(8);
    for (const { path, digest } of listed) {
      if (!digest) continue;
      const sum = execFileSync('sha256sum', [join(root, path)], { encoding: 'utf8' }).split(' ')[0];
      expect([path, digest]).toEqual([path, sum]);
    }
  });

  it('allows the extracted files, denies a modified one, an unlisted one, and untrusted packages', async () => {
    for (const path of Object.keys(FILES)) {
      const decision = await appraise(join(root, path), { packages: [good], root });
      expect([path, decision.allow, decision.reason]).toEqual([path, true, 'digest-match']);
    }
    const conf = join(root, 'etc/hello.conf');
    appendFileSync(conf, 'evil = 1\n');
    const modified = await appraise(conf, { packages: [good], root });
    expect([modified.allow, modified.reason]).toEqual([false, 'digest-mismatch']);
    const stray = join(root, 'usr/bin/stray');
    writeFileSync(stray, 'x');
    expect((await appraise(stray, { packages: [good], root })).reason).toBe('not-listed');
    const unsigned = await verifier.verifyRpm(rpm.unsigned as string, { keys: keys.rsa as Buffer });
    const hello = join(root, 'usr/bin/hello');
    expect(await appraise(hello, { packages: [unsigned], root })).toMatchObject({
      allow: false,
      reason: 'unsigned-package',
    });
    const untrusted = await verifier.verifyRpm(rpm.rsa as string, { keys: keys.other as Buffer });
    expect(await appraise(hello, { packages: [untrusted], root })).toMatchObject({
      allow: false,
      reason: 'untrusted-key',
    });
    const tampered = await verifier.verifyRpm(rpm.badPayload as string, {
      keys: keys.rsa as Buffer,
    });
    expect(await appraise(hello, { packages: [tampered], root })).toMatchObject({
      allow: false,
      reason: 'bad-package',
    });
  });
});
