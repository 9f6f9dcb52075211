/**
 * The driver against real GnuPG: keys made here with gpg, signatures made with gpg, and for
 * every case the driver's verdict equals gpg's own (`--status-fd`).
 */
import { createPgpVerifier, isPgpError, type Keyring, type SignatureStatus } from '@umd/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgHome, gpgVerify, noGpg, put, type Verdict } from './gnupg.js';
import { facts, parseColons } from './gpg-colons.js';

const verifier = createPgpVerifier();
const home = noGpg ? undefined : new GpgHome();
const fpr: Record<string, string> = {};
let allKeys: Buffer;
let keyring: Keyring;
const DATA = 'Hello, world.\nSecond line with trailing spaces   \n- a dash line\nlast line';

const KINDS = [
  'ed25519',
  'rsa2048',
  'rsa4096',
  'p256',
  'p384',
  'p521',
  'brainpool',
  'secp256k1',
  'dsa',
  'subkey',
  'multi',
  'expired',
  'revoked',
] as const;
type Kind = (typeof KINDS)[number];
const expected: Record<Kind, Verdict> = {
  ed25519: 'good',
  rsa2048: 'good',
  rsa4096: 'good',
  p256: 'good',
  p384: 'good',
  p521: 'good',
  brainpool: 'good',
  secp256k1: 'good',
  dsa: 'good',
  subkey: 'good',
  multi: 'good',
  expired: 'expired-key',
  revoked: 'revoked-key',
};
const PAST = '20200101T000000';

beforeAll(() => {
  if (!home) return;
  fpr.ed25519 = home.genKey('Ed <ed@example.org>', 'ed25519');
  fpr.rsa2048 = home.genKey('Rsa Two <rsa2@example.org>', 'rsa2048');
  fpr.rsa4096 = home.genKey('Rsa Four <rsa4@example.org>', 'rsa4096');
  fpr.p256 = home.genKey('P256 <p256@example.org>', 'nistp256');
  fpr.p384 = home.genKey('P384 <p384@example.org>', 'nistp384');
  fpr.p521 = home.genKey('P521 <p521@example.org>', 'nistp521');
  // Curves gpg offers beyond NIST's, which node:crypto (OpenSSL) verifies too.
  fpr.brainpool = home.genKey('Brainpool <bp@example.org>', 'brainpoolP384r1');
  fpr.secp256k1 = home.genKey('K1 <k1@example.org>', 'secp256k1');
  // DSA with an Elgamal encryption subkey, as gpg made keys by default for a decade.
  fpr.dsa = home.genKey('Dsa <dsa@example.org>', 'dsa2048');
  home.run(['--quick-add-key', fpr.dsa, 'elg2048', 'encr', '2y']);
  fpr.subkey = home.genKey('Sub <sub@example.org>', 'rsa2048', 'cert');
  home.run(['--quick-add-key', fpr.subkey, 'ed25519', 'sign', '2y']);
  home.run(['--quick-add-key', fpr.subkey, 'cv25519', 'encr', '2y']);
  fpr.multi = home.genKey('Multi One <m1@example.org>', 'ed25519');
  home.run(['--quick-add-uid', fpr.multi, 'Multi Two <m2@example.org>']);
  home.run(['--quick-add-uid', fpr.multi, 'Multi Three <m3@example.org>']);
  fpr.expired = home.genKey('Expired <exp@example.org>', 'ed25519', 'sign', '1d', PAST);
  fpr.revoked = home.genKey('Revoked <rev@example.org>', 'ed25519');
  // A second, unrelated key, known to nobody: "wrong key" cases.
  fpr.stranger = home.genKey('Stranger <s@example.org>', 'ed25519');
}, 300_000);

afterAll(async () => {
  await verifier.stop();
  home?.dispose();
});

/** Signs `data` with gpg in the signing home; `extra` selects the kind of signature. */
function sign(kind: Kind | 'stranger', extra: string[], data: string | Buffer = DATA): Buffer {
  const h = home as GpgHome;
  const time = kind === 'expired' ? { time: '20200101T010000' } : {};
  return h.run(['-u', `${fpr[kind]}!`.replace(`${fpr.subkey}!`, fpr.subkey as string), ...extra], {
    input: data,
    ...time,
  }).stdout;
}

/** The driver's verdict, in gpg's terms. */
async function driver(run: () => Promise<{ status: SignatureStatus }>): Promise<Verdict> {
  try {
    const { status } = await run();
    return status === 'unsupported' ? 'error' : status;
  } catch (error) {
    if (isPgpError(error)) return 'error';
    throw error;
  }
}

/** gpg's verdict on a detached signature over `data`, with `keys` only. */
function gpgDetached(keys: Buffer, sig: Buffer, data: string | Buffer): Verdict {
  return gpgVerify(keys, (dir) => ['--verify', put(dir, 'sig', sig), put(dir, 'data', data)]);
}

function gpgMessage(keys: Buffer, message: Buffer): Verdict {
  return gpgVerify(keys, (dir) => ['--verify', put(dir, 'msg', message)]);
}

describe.skipIf(noGpg)('verdicts equal gpg --status-fd', () => {
  beforeAll(async () => {
    const h = home as GpgHome;
    // The revoked key signs first, then is revoked: its signature stays, its key is revoked.
    revokedSig = sign('revoked', ['--detach-sign']);
    h.revoke(fpr.revoked as string);
    allKeys = h.exportKeys(KINDS.map((k) => fpr[k] as string));
    keyring = await verifier.readKeys(allKeys);
  }, 120_000);
  let revokedSig: Buffer;

  const sigFor = (kind: Kind, extra: string[]) =>
    kind === 'revoked' && extra.join() === '--detach-sign' ? revokedSig : sign(kind, extra);

  for (const kind of KINDS) {
    it(`${kind}: detached binary, armored, text mode, SHA-512`, async () => {
      for (const extra of [
        ['--detach-sign'],
        ['--detach-sign', '--armor'],
        ['--detach-sign', '--textmode'],
        ['--detach-sign', '--digest-algo', 'SHA512'],
      ]) {
        if (kind === 'revoked' && extra.length > 1) continue;
        // gpg refuses SHA-512 with DSA-2048 ("Invalid length"): nothing to compare with.
        if (kind === 'dsa' && extra.includes('SHA512')) continue;
        const sig = sigFor(kind, extra);
        const ours = await driver(() => verifier.verifyDetached(DATA, sig, { keys: keyring }));
        expect([extra, ours]).toEqual([extra, gpgDetached(allKeys, sig, DATA)]);
        expect([extra, ours]).toEqual([extra, expected[kind]]);
      }
    });
  }

  for (const kind of ['ed25519', 'rsa2048', 'p256', 'p384', 'dsa', 'subkey', 'expired'] as const) {
    it(`${kind}: cleartext and inline (compressed, uncompressed, armored)`, async () => {
      const clear = sign(kind, ['--clearsign']);
      const result = await verifier.verifyCleartext(clear, { keys: keyring });
      expect(result.status).toBe(gpgMessage(allKeys, clear));
      expect(result.status).toBe(expected[kind]);
      expect(result.data.toString()).toBe(DATA.replace(/ +\n/g, '\n').replace(/\n/g, '\r\n'));
      for (const extra of [
        ['--sign'],
        ['--sign', '-z', '0'],
        ['--sign', '--armor'],
        ['--sign', '--textmode'],
      ]) {
        const message = sign(kind, extra);
        const inline = await verifier.verifyInline(message, { keys: keyring });
        expect([extra, inline.status]).toEqual([extra, gpgMessage(allKeys, message)]);
        expect([extra, inline.status]).toEqual([extra, expected[kind]]);
        // In text mode gpg stores the literal data with CRLF line ends.
        expect(inline.data.toString()).toBe(
          extra.includes('--textmode') ? DATA.replace(/\n/g, '\r\n') : DATA,
        );
      }
    });
  }

  it('an inline message compressed with BZip2 is PGP_UNSUPPORTED (gpg reads it)', async () => {
    const message = sign('ed25519', ['--sign', '--compress-algo', 'bzip2']);
    expect(gpgMessage(allKeys, message)).toBe('good');
    const error = await verifier.verifyInline(message, { keys: keyring }).catch((e) => e);
    expect(isPgpError(error, 'PGP_UNSUPPORTED')).toBe(true);
    expect(error.message).toMatch(/compression algorithm 3 is not supported/);
  });

  it('a secret key export is PGP_UNSUPPORTED asking for the public keys, armored or binary', async () => {
    const h = home as GpgHome;
    for (const armor of [[], ['--armor']]) {
      const secret = h.run(['--export-secret-keys', ...armor, fpr.ed25519 as string]).stdout;
      for (const read of [() => verifier.readKeys(secret), () => verifier.inspectKey(secret)]) {
        const error = await read().catch((e) => e);
        expect(isPgpError(error, 'PGP_UNSUPPORTED')).toBe(true);
        expect(error.message).toMatch(/secret keys are not accepted: give the public keys/);
      }
    }
  });

  it('tampered data, tampered signature, wrong key, truncated and garbage: as gpg', async () => {
    const cases: Array<[string, Buffer, string, Buffer]> = [];
    for (const kind of ['ed25519', 'rsa2048', 'p256', 'dsa', 'subkey'] as const) {
      const sig = sign(kind, ['--detach-sign']);
      const flipped = Buffer.from(sig);
      flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0x10;
      cases.push([`${kind} tampered data`, sig, `${DATA}!`, allKeys]);
      cases.push([`${kind} tampered signature`, flipped, DATA, allKeys]);
      cases.push([`${kind} truncated`, sig.subarray(0, sig.length - 7), DATA, allKeys]);
      cases.push([
        `${kind} wrong key`,
        sig,
        DATA,
        (home as GpgHome).exportKeys([fpr.stranger as string]),
      ]);
    }
    cases.push(['garbage', Buffer.from('this is not a signature at all'), DATA, allKeys]);
    cases.push(['empty', Buffer.alloc(0), DATA, allKeys]);
    for (const [name, sig, data, keys] of cases) {
      const ours = await driver(async () => verifier.verifyDetached(data, sig, { keys }));
      const theirs = gpgDetached(keys, sig, data);
      expect([name, ours]).toEqual([name, theirs]);
      expect(ours).not.toBe('good');
    }
  });

  it('tampered cleartext and inline messages are never good', async () => {
    const clear = sign('ed25519', ['--clearsign']).toString().replace('Hello', 'Jello');
    const ours = await driver(() => verifier.verifyCleartext(clear, { keys: keyring }));
    expect(ours).toBe(gpgMessage(allKeys, Buffer.from(clear)));
    expect(ours).toBe('bad');
    const inline = sign('rsa2048', ['--sign', '-z', '0']);
    const at = inline.indexOf('Second');
    inline[at] = 0x73;
    const verdict = await driver(() => verifier.verifyInline(inline, { keys: keyring }));
    expect(verdict).toBe(gpgMessage(allKeys, inline));
    expect(verdict).toBe('bad');
  });
});

describe.skipIf(noGpg)('key facts equal gpg --with-colons --show-keys', () => {
  it('for every kind of key, armored and binary', async () => {
    const h = home as GpgHome;
    const armored = h.exportKeys(
      KINDS.map((k) => fpr[k] as string),
      true,
    );
    const file = put(h.dir, 'keys.asc', armored);
    const colons = h.run(['--with-colons', '--show-keys', file]).stdout.toString();
    const gpgKeys = parseColons(colons);
    for (const input of [armored, allKeys]) {
      const keys = await verifier.inspectKey(input);
      const ours = keys.map((key) => ({
        ...facts(key),
        userIds: key.userIds.map((u) => u.userId),
        subkeys: key.subkeys.map(facts),
      }));
      expect(ours).toEqual(gpgKeys);
    }
  });
});
