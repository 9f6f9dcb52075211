/** A keyring the host established, and the plan of each signature to check against it. */
import type { SignaturePacket } from './contract.js';
import { encodeSignature, locate } from './host/encode.js';
import type { KeyInfo, SigningKey } from './host/keys.js';
import { SignaturePlan } from './host/verify.js';

/** Keys read by the host, ready to verify with. Made by {@link PgpVerifier.readKeys}. */
export class Keyring {
  /** @internal */
  constructor(
    /** Every key, as the host established it. */
    readonly keys: readonly KeyInfo[],
    /** @internal */
    readonly signing: readonly SigningKey[],
  ) {}
}

/** Plans each signature after finding its exact bytes in the input. */
export function planAll(
  sigs: SignaturePacket[],
  blocks: readonly Buffer[],
  keyring: Keyring,
): SignaturePlan[] {
  return sigs.map((sig, i) => {
    const path = `reply.signatures[${i}]`;
    locate(blocks, sig, encodeSignature(sig, path), path);
    return new SignaturePlan(sig, keyring.signing);
  });
}
