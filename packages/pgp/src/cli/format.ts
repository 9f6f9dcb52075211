/** Human-readable lines for `umd-pgp`'s results. */
import type { KeyInfo, PublicKeyInfo } from '../host/keys.js';
import type { SignatureResult } from '../host/verify.js';

const day = (date: Date | undefined): string => (date ? date.toISOString().slice(0, 10) : 'never');

/** One line per signature, like gpgv's summary. */
export function describeSignature(sig: SignatureResult): string {
  const who = sig.userId ? ` "${sig.userId}"` : '';
  const what = `${sig.pkAlgorithmName}/${sig.hashAlgorithmName}, key ${sig.fingerprint ?? sig.keyId}${who}`;
  const made = sig.created ? `, made ${sig.created.toISOString()}` : '';
  return `${sig.status}: ${what}${made}${sig.reason ? ` (${sig.reason})` : ''}`;
}

function keyLine(kind: string, key: PublicKeyInfo): string {
  const size = key.curve ?? `${key.bits}`;
  const state = key.revoked
    ? ' [revoked]'
    : key.expires && key.expires.getTime() <= Date.now()
      ? ' [expired]'
      : '';
  return `${kind}  ${key.algorithmName} ${size} ${key.keyId} created ${day(key.created)} expires ${day(key.expires)}${state}${key.bound ? '' : ' [unbound]'}\n      ${key.fingerprint}`;
}

/** The lines of one key, like `gpg --show-keys`. */
export function describeKey(key: KeyInfo): string {
  const lines = [keyLine('pub', key)];
  for (const uid of key.userIds)
    lines.push(`uid   ${uid.userId}${uid.revoked ? ' [revoked]' : uid.valid ? '' : ' [invalid]'}`);
  for (const sub of key.subkeys) lines.push(keyLine('sub', sub));
  return `${lines.join('\n')}\n`;
}
