/** The verifier's cache of established keyrings, by the digest of the bytes they came from. */
import type { Keyring } from './keyring.js';

/**
 * Keyrings by the digest of their bytes, least recently used first, at most `size`. The
 * verifier never hands them out: callers get verdicts, not these objects.
 */
export class KeyCache {
  readonly #map = new Map<string, Keyring>();
  constructor(readonly size: number) {}

  /** The keyring read from bytes of this digest, now the most recently used. */
  get(digest: string): Keyring | undefined {
    const keyring = this.#map.get(digest);
    if (keyring) {
      this.#map.delete(digest);
      this.#map.set(digest, keyring);
    }
    return keyring;
  }

  /** Keeps `keyring` under `digest`, dropping the least recently used beyond `size`. */
  set(digest: string, keyring: Keyring): void {
    if (this.size === 0) return;
    this.#map.delete(digest);
    this.#map.set(digest, keyring);
    if (this.#map.size > this.size) this.#map.delete(this.#map.keys().next().value as string);
  }
}
