/**
 * RFC 9580 version 6 keys and signatures (native Ed25519 and Ed448, RSA and ECDSA P-256,
 * SHA-256 fingerprints, salted signatures). GnuPG 2.2 cannot make them: the vectors are made here by openpgp.js 6,
 * an independent implementation, and every verdict equals its own.
 */
import { createPgpVerifier, isPgpError, PIPELINE_DEPTH } from '@umd/pgp';
import * as openpgp from 'openpgp';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate, rng } from './mutate.js';

const verifier = createPgpVerifier();
const TEXT = 'version 6\nsecond line';

afterAll(() => verifier.stop());

/** Where the new-format packet at `at` ends (one- and two-octet lengths). */
function packetEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at + 1] as number;
  if (first < 192) return at + 2 + first;
  return at + 3 + ((first - 192) << 8) + (bytes[at + 2] as number) + 192;
}

type KeyOptions = Partial<
  Pick<Parameters<typeof openpgp.generateKey>[0], 'type' | 'curve' | 'rsaBits'>
>;

/** A version 6 key pair made by openpgp.js (Ed25519 unless `options` say otherwise). */
function v6Key(
  options: KeyOptions = { type: 'curve25519' },
  userIDs: openpgp.UserID[] = [{ name: 'Six', email: 'six@example.org' }],
) {
  return openpgp.generateKey({ ...options, userIDs, format: 'object', config: { v6Keys: true } });
}

/** A binary detached signature over `TEXT` by `key`. */
async function signDetached(key: openpgp.PrivateKey): Promise<Uint8Array> {
  return (await openpgp.sign({
    message: await openpgp.createMessage({ binary: Buffer.from(TEXT) }),
    signingKeys: key,
    detached: true,
    format: 'binary',
  })) as Uint8Array;
}

/** Where a version 6 signature packet's salt ends (its last byte's offset + 1). */
function saltEnd(packet: Uint8Array): number {
  const view = Buffer.from(packet);
  const body = (view[1] as number) < 192 ? 2 : 3;
  const hashed = body + 4;
  const unhashed = hashed + 4 + view.readUInt32BE(hashed);
  const salt = unhashed + 4 + view.readUInt32BE(unhashed) + 2;
  return salt + 1 + (view[salt] as number);
}

/** openpgp.js's verdict on a detached signature: good or bad. */
async function theirs(
  publicKey: openpgp.PublicKey,
  data: string,
  signature: Uint8Array,
): Promise<string> {
  const { signatures } = await openpgp.verify({
    message: await openpgp.createMessage({ binary: Buffer.from(data) }),
    signature: await openpgp.readSignature({ binarySignature: signature }),
    verificationKeys: publicKey,
  });
  try {
    await signatures[0]?.verified;
    return 'good';
  } catch {
    return 'bad';
  }
}

describe.each([
  ['Ed25519', 27, { type: 'curve25519' }],
  ['Ed448', 28, { type: 'curve448' }],
  ['RSA', 1, { type: 'rsa', rsaBits: 3072 }],
  ['ECDSA', 19, { type: 'ecc', curve: 'nistP256' }],
] as const)('version 6, %s', (name, algorithm, options) => {
  it(`${name} keys: fingerprint, key ID and user IDs equal openpgp.js's`, async () => {
    const { publicKey } = await v6Key(options, [
      { name: 'Six', email: 'six@example.org' },
      { name: 'Other' },
    ]);
    const [key] = await verifier.inspectKey(publicKey.write());
    expect(key).toMatchObject({
      version: 6,
      algorithm,
      algorithmName: name,
      fingerprint: publicKey.getFingerprint().toUpperCase(),
      keyId: publicKey.getKeyID().toHex().toUpperCase(),
      bound: true,
      problems: [],
    });
    expect(key?.userIds.map((u) => u.userId).sort()).toEqual(publicKey.getUserIDs().sort());
    expect(key?.subkeys.map((s) => s.fingerprint)).toEqual(
      publicKey.getSubkeys().map((s) => s.getFingerprint().toUpperCase()),
    );
  });

  it(`${name} detached, cleartext and inline signatures: verdicts equal openpgp.js's`, async () => {
    const { privateKey, publicKey } = await v6Key(options);
    const keys = publicKey.write();
    const detached = await signDetached(privateKey);
    // A version 6 signature packet: new format, a length of one octet (below 192) or two.
    expect(detached[(detached[1] as number) < 192 ? 2 : 3]).toBe(6);
    const salted = Buffer.from(detached);
    // Flip the low bit of the salt's last byte.
    const end = saltEnd(detached);
    salted[end - 1] = (salted[end - 1] as number) ^ 1;
    for (const [data, sig, expected] of [
      [TEXT, detached, 'good'],
      [`${TEXT}!`, detached, 'bad'],
      [TEXT, salted, 'bad'],
    ] as const) {
      const ours = (await verifier.verifyDetached(data, sig, { keys })).status;
      expect([ours, await theirs(publicKey, data, sig)]).toEqual([expected, expected]);
    }
    const clear = await openpgp.sign({
      message: await openpgp.createCleartextMessage({ text: TEXT }),
      signingKeys: privateKey,
    });
    const cleared = await verifier.verifyCleartext(clear, { keys });
    expect(cleared.status).toBe('good');
    expect(cleared.data.toString()).toBe(TEXT.replace(/\n/g, '\r\n'));
    const forged = await verifier.verifyCleartext(clear.replace('second', 'Second'), { keys });
    expect(forged.status).toBe('bad');
    const inline = (await openpgp.sign({
      message: await openpgp.createMessage({ binary: Buffer.from(TEXT) }),
      signingKeys: privateKey,
      format: 'binary',
    })) as Uint8Array;
    const inlined = await verifier.verifyInline(inline, { keys });
    expect([inlined.status, inlined.data.toString()]).toEqual(['good', TEXT]);
  });
});

it('a version 4 key does not verify a version 6 signature, nor the reverse', async () => {
  const v4 = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name: 'Four' }],
    format: 'object',
  });
  const v6 = await v6Key();
  // Each key given for the other's signature: no key of that ID, so no verdict of good.
  const a = await verifier.verifyDetached(TEXT, await signDetached(v6.privateKey), {
    keys: v4.publicKey.write(),
  });
  const b = await verifier.verifyDetached(TEXT, await signDetached(v4.privateKey), {
    keys: v6.publicKey.write(),
  });
  expect([a.status, b.status]).toEqual(['no-public-key', 'no-public-key']);
});

it('mutated version 6 signatures and keys: never good where openpgp.js is not', async () => {
  const seed = Number(process.env.PGP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const r = rng(seed);
  const { privateKey, publicKey } = await v6Key();
  const keys = publicKey.write();
  const signature = await signDetached(privateKey);
  const keyring = await verifier.readKeys(keys);
  // openpgp.js writes the primary key, then its direct-key signature: where they end.
  const certified = packetEnd(keys, packetEnd(keys, 0));
  const outcomes: Record<string, number> = {};
  const confirmed: number[] = [];
  const runs = Array.from({ length: 2000 }, (_, run) => {
    const mutateKeys = run % 4 === 3;
    let input: Buffer = Buffer.from(mutateKeys ? keys : signature);
    for (let n = 1 + r(3); n > 0; n--) input = mutate(input, r);
    return { run, mutateKeys, input };
  });
  const one = async ({ run, mutateKeys, input }: (typeof runs)[number]) => {
    let outcome: string;
    try {
      const k = mutateKeys ? await verifier.readKeys(input) : keyring;
      const sig = mutateKeys ? signature : input;
      outcome = (await verifier.verifyDetached(TEXT, sig, { keys: k })).status;
    } catch (error) {
      if (!isPgpError(error)) throw error;
      outcome = error.code;
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    expect([run, outcome]).not.toEqual([run, 'PGP_HANDLER_LIED']);
    if (outcome !== 'good' || input.equals(mutateKeys ? keys : signature)) return;
    // Still good after a mutation: openpgp.js must agree. It refuses a whole key when any of
    // its signatures does not parse (the driver ignores such a signature, as gpg does); then
    // the primary key and its direct-key signature, all the verdict rests on, must be intact.
    let agree: string;
    if (!mutateKeys) agree = await theirs(publicKey, TEXT, input).catch(() => 'error');
    else {
      const key = await openpgp.readKey({ binaryKey: input }).catch(() => undefined);
      if (key) agree = await theirs(key, TEXT, signature).catch(() => 'error');
      else agree = input.includes(Buffer.from(keys.subarray(0, certified))) ? 'good' : 'error';
    }
    expect([run, seed, agree]).toEqual([run, seed, 'good']);
    confirmed.push(run);
  };
  // As many at once as the verifier pipelines.
  let next = 0;
  const worker = async () => {
    for (let c = runs[next++]; c; c = runs[next++]) await one(c);
  };
  await Promise.all(Array.from({ length: PIPELINE_DEPTH }, worker));
  console.log(
    `version 6 fuzz seed ${seed}: ${JSON.stringify(outcomes)}; ${confirmed.length} mutated inputs still good, each confirmed by openpgp.js`,
  );
});

it('a version 6 key whose direct-key signature does not verify is not bound (fuzz regression)', async () => {
  const { privateKey, publicKey } = await v6Key();
  const keys = Buffer.from(publicKey.write());
  // The last byte of the direct-key signature (its value): the user ID's self-signature
  // still verifies, but that does not bind a version 6 key.
  const broken = Buffer.from(keys);
  const end = packetEnd(keys, packetEnd(keys, 0));
  broken[end - 1] = (broken[end - 1] as number) ^ 1;
  const [key] = await verifier.inspectKey(broken);
  expect(key?.bound).toBe(false);
  expect(key?.userIds[0]?.valid).toBe(true);
  const signature = await signDetached(privateKey);
  const result = await verifier.verifyDetached(TEXT, signature, { keys: broken });
  expect(result.status).toBe('no-public-key');
  await expect(openpgp.readKey({ binaryKey: broken })).resolves.toBeDefined();
  const theirKey = await openpgp.readKey({ binaryKey: broken });
  expect(await theirs(theirKey, TEXT, signature).catch(() => 'error')).not.toBe('good');
});
