/** gpg's machine-readable key listing (`--with-colons`), in the driver's terms. */

/** What a key and gpg's listing of it must agree on (times in seconds). */
export type Facts = {
  fingerprint: string;
  keyId: string;
  algorithm: number;
  bits: number;
  created: number;
  expires: number | undefined;
  revoked: boolean;
  curve: string | undefined;
};

/** The {@link Facts} of a key (or subkey) as the driver describes it. */
export function facts(key: {
  fingerprint: string;
  keyId: string;
  algorithm: number;
  bits: number;
  created: Date;
  expires?: Date;
  revoked?: unknown;
  curve?: string;
}): Facts {
  return {
    fingerprint: key.fingerprint,
    keyId: key.keyId,
    algorithm: key.algorithm,
    bits: key.bits,
    created: key.created.getTime() / 1000,
    expires: key.expires ? key.expires.getTime() / 1000 : undefined,
    revoked: key.revoked !== undefined,
    curve: key.curve,
  };
}

/** The keys of `gpg --with-colons --show-keys` output, with their user ids and subkeys. */
export function parseColons(text: string): Array<Facts & { userIds: string[]; subkeys: Facts[] }> {
  const keys: Array<Facts & { userIds: string[]; subkeys: Facts[] }> = [];
  let last: Facts | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub' || f[0] === 'sub') {
      last = {
        fingerprint: '',
        keyId: f[4] as string,
        algorithm: Number(f[3]),
        bits: Number(f[2]),
        created: Number(f[5]),
        expires: f[6] ? Number(f[6]) : undefined,
        revoked: f[1] === 'r',
        curve: f[16] || undefined,
      };
      if (f[0] === 'pub') keys.push({ ...last, userIds: [], subkeys: [] });
      else keys.at(-1)?.subkeys.push(last);
    } else if (f[0] === 'fpr' && last) {
      const key = keys.at(-1) as Facts & { subkeys: Facts[] };
      const target = key.subkeys.at(-1) ?? key;
      if (target.keyId === last.keyId) target.fingerprint = f[9] as string;
    } else if (f[0] === 'uid') {
      keys.at(-1)?.userIds.push((f[9] as string).replace(/\\x3a/g, ':'));
    }
  }
  return keys;
}
