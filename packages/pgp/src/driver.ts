/**
 * The host side of `@umd/pgp`: {@link PgpVerifier} sends untrusted bytes to the handler and
 * decides every verdict itself from the description it gets back.
 */
import { createHash } from 'node:crypto';
import { callDeadline, type RequestOptions } from '@umd/core';
import { UmdManager, type UmdManagerOptions } from '@umd/mgmt';
import { type Block, DRIVER_NAME, Op, type OpCode } from './contract.js';
import { decodeChecked, spansOf } from './host/blocks.js';
import { type Check, lie } from './host/check.js';
import { establishKey, type KeyInfo, type SigningKey } from './host/keys.js';
import { ask } from './host/request.js';
import { cleartextReply, inlineReply, keysReply, signaturesReply } from './host/schema.js';
import { cleartextSigned } from './host/text.js';
import {
  decide,
  type SignatureResult,
  type SignatureStatus,
  type SignaturePlan,
} from './host/verify.js';
import type { SignaturePacket } from './contract.js';
import { callOptions, now, optionsBag, reading, verifyOptions } from './call-options.js';
import { PgpError } from './errors.js';
import { Keyring, planAll } from './keyring.js';
import { KeyCache } from './key-cache.js';
import { type RpmResult, verifyRpm } from './rpm.js';
import { chunksOf, type Input, type SignedData, toBytes } from './input.js';

/** Options of every call: an `AbortSignal` and a timeout (milliseconds) for the handler's part. */
export type CallOptions = RequestOptions;

export { Keyring } from './keyring.js';

/** Keys to verify with: OpenPGP bytes (binary or armored) or a {@link Keyring} read before. */
export type Keys = Input | Keyring;

/** Options of the verify calls. */
export interface VerifyOptions extends CallOptions {
  /** The keys that may have made the signature. */
  keys: Keys;
  /** The time "now" for expiration (default: the clock). */
  now?: Date;
}

/** The verdict on a signed message. */
export interface VerifyResult {
  /** `good` when every signature is good; otherwise the status of the first that is not. */
  status: SignatureStatus;
  /** Each signature's verdict, in order. */
  signatures: SignatureResult[];
}

/** The verdict on a cleartext or inline message, with the bytes the signatures cover. */
export interface MessageResult extends VerifyResult {
  /**
   * The signed content: for cleartext the text with dash escapes removed (lines as hashed,
   * CRLF), for inline the literal data. Use this, not your input: it is what was verified.
   */
  data: Buffer;
}

/**
 * Options of {@link createPgpVerifier}: any option of the `UmdManager` beneath (`maxInFlight`
 * defaults to `PIPELINE_DEPTH` here), and the size of the key cache.
 */
export type PgpVerifierOptions = Partial<UmdManagerOptions> & {
  /**
   * Keyrings given as bytes to the verify calls are kept, established, by the SHA-256 of
   * those bytes, so that the same keys are not parsed and checked again on every call; this
   * many at most, the least recently used dropped first (default 32; 0 for none; at most
   * {@link MAX_KEY_CACHE_SIZE}).
   */
  keyCacheSize?: number;
};

/**
 * The largest `keyCacheSize`: a JavaScript Map holds about 2**24 entries at most, and a
 * cache that large would fail mid-verification (a bare RangeError) rather than at creation.
 */
export const MAX_KEY_CACHE_SIZE = 2 ** 20;

/**
 * Requests the verifier sends to its handler at once by default: concurrent verifications
 * share the pipe's round trips (the handler answers them in order), so many callers at once
 * cost little more than one.
 */
export const PIPELINE_DEPTH = 32;

function overall(signatures: SignatureResult[]): SignatureStatus {
  return signatures.find((s) => s.status !== 'good')?.status ?? 'good';
}

/** OpenPGP verification with the parser in a handler process. */
export class PgpVerifier {
  /** The manager of the handler process: events, stats, `stop()`. */
  readonly manager: UmdManager;

  readonly #keyCache: KeyCache;
  /** Verifications in progress. */
  #busy = 0;

  constructor(options: PgpVerifierOptions = {}) {
    // Read once, getters included: the spread below copies what this read.
    const { keyCacheSize = 32, ...managerOptions } = reading(
      (): PgpVerifierOptions => ({ ...optionsBag(options) }),
    );
    if (!Number.isInteger(keyCacheSize) || keyCacheSize < 0 || keyCacheSize > MAX_KEY_CACHE_SIZE)
      throw new PgpError(
        'PGP_INVALID_ARGUMENT',
        `keyCacheSize must be an integer from 0 to ${MAX_KEY_CACHE_SIZE}, not ${String(keyCacheSize)}`,
      );
    this.#keyCache = new KeyCache(keyCacheSize);
    this.manager = new UmdManager({
      name: DRIVER_NAME,
      loader: () => import('./loaders/main.js'),
      maxInFlight: PIPELINE_DEPTH,
      ...managerOptions,
    });
  }

  /**
   * Reads keys (a keyring, binary or armored): the handler parses, the host checks every
   * self-signature, binding, back-signature and revocation.
   * @throws PgpError `PGP_MALFORMED`, `PGP_HANDLER_LIED`; UmdError from the manager.
   */
  async readKeys(input: Input, given: CallOptions = {}): Promise<Keyring> {
    const options = callOptions(given);
    const bytes = toBytes(input);
    return ask(this.manager, Op.KEYS, bytes, keysReply, options, (reply) => {
      const blocks = decodeChecked(bytes, reply.blocks);
      const keys: KeyInfo[] = [];
      const signing: SigningKey[] = [];
      reply.keys.forEach((description, i) => {
        const established = establishKey(description, blocks, `reply.keys[${i}]`);
        keys.push(established.key);
        signing.push(...established.signing);
      });
      return new Keyring(keys, signing);
    });
  }

  /** Describes the keys of `input` (as `gpg --show-keys` does). */
  async inspectKey(input: Input, options?: CallOptions): Promise<KeyInfo[]> {
    return [...(await this.readKeys(input, options)).keys];
  }

  async #keyring(keys: Keys, options: CallOptions): Promise<Keyring> {
    if (keys instanceof Keyring) return keys;
    const bytes = toBytes(keys);
    // The digest names the bytes; the keyring was established from exactly those bytes.
    const digest = createHash('sha256').update(bytes).digest('base64');
    const cached = this.#keyCache.get(digest);
    if (cached) return cached;
    const keyring = await this.readKeys(bytes, options);
    this.#keyCache.set(digest, keyring);
    return keyring;
  }

  /**
   * Verifies a detached signature over `data`, which may be a stream: the host hashes it
   * chunk by chunk and never holds it whole.
   */
  async verifyDetached(
    data: SignedData,
    signature: Input,
    given: VerifyOptions,
  ): Promise<VerifyResult> {
    const options = verifyOptions(given);
    // The data is the caller's source, read here: the call's signal and timeout bound it too.
    const deadline = callDeadline(options);
    const { signal } = deadline;
    return this.#track(async () => {
      const keyring = await this.#keyring(options.keys, options);
      const sigBytes = toBytes(signature);
      const plans = await ask(
        this.manager,
        Op.SIGNATURES,
        sigBytes,
        signaturesReply,
        options,
        (reply) => {
          const blocks = decodeChecked(sigBytes, reply.blocks);
          return planAll(reply.signatures, blocks, keyring);
        },
      );
      const signatures = await this.#decide(plans, chunksOf(data), { ...options, signal });
      return { status: overall(signatures), signatures };
    }).finally(deadline.clear);
  }

  /** Verifies a cleartext-signed message (`-----BEGIN PGP SIGNED MESSAGE-----`). */
  verifyCleartext(message: Input, options: VerifyOptions): Promise<MessageResult> {
    return this.#verifyMessage(message, options, Op.CLEARTEXT, cleartextReply, (reply, bytes) => {
      const [start, end] = reply.text;
      if (end > bytes.length) lie('reply.text', 'range past the input');
      const signed = cleartextSigned(
        Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start),
      );
      if (!signed)
        throw new PgpError(
          'PGP_MALFORMED',
          'malformed input: a text line starts with an unescaped dash',
        );
      return signed;
    });
  }

  /** Verifies an inline-signed message (one-pass signatures, literal data, possibly compressed). */
  verifyInline(message: Input, options: VerifyOptions): Promise<MessageResult> {
    return this.#verifyMessage(message, options, Op.INLINE, inlineReply, (reply, _, blocks) =>
      spansOf(blocks, reply.literal.block, reply.literal.spans, 'reply.literal'),
    );
  }

  /**
   * A message that carries its signed data: the handler parses it (`op`, reply checked by
   * `check`), `signedData` binds the reply to the input and returns the signed bytes.
   */
  async #verifyMessage<T extends { blocks: Block[]; signatures: SignaturePacket[] }>(
    message: Input,
    given: VerifyOptions,
    op: OpCode,
    check: Check<T>,
    signedData: (reply: T, bytes: Uint8Array, blocks: readonly Buffer[]) => Buffer,
  ): Promise<MessageResult> {
    const options = verifyOptions(given);
    return this.#track(async () => {
      const keyring = await this.#keyring(options.keys, options);
      const bytes = toBytes(message);
      const { plans, data } = await ask(this.manager, op, bytes, check, options, (reply) => {
        const blocks = decodeChecked(bytes, reply.blocks);
        return {
          plans: planAll(reply.signatures, blocks, keyring),
          data: signedData(reply, bytes, blocks),
        };
      });
      const signatures = await this.#decide(plans, [data], options);
      return { status: overall(signatures), signatures, data };
    });
  }

  /**
   * Hashes and decides. EdDSA goes to libuv's thread pool only while other calls are in
   * progress: one verification alone is quicker on the main thread.
   */
  async #decide(
    plans: readonly SignaturePlan[],
    data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: VerifyOptions,
  ): Promise<SignatureResult[]> {
    return decide(plans, data, now(options), options.signal, this.#busy > 1);
  }

  /** Counts the calls in progress while `run` runs. */
  async #track<T>(run: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await run();
    } finally {
      this.#busy--;
    }
  }

  /**
   * Verifies an RPM package's header signature and its digests (as `rpmkeys --checksig`);
   * when it is good, the result lists the files and digests of the verified header.
   */
  async verifyRpm(file: string, given: VerifyOptions): Promise<RpmResult> {
    const options = verifyOptions(given);
    // The payload is read here, from disk: the call's signal and timeout bound it too.
    const deadline = callDeadline(options);
    try {
      const keyring = await this.#keyring(options.keys, options);
      return await verifyRpm(this, file, { ...options, signal: deadline.signal, keyring });
    } finally {
      deadline.clear();
    }
  }

  /** Stops the handler; the next call starts it again. */
  stop(): Promise<void> {
    return this.manager.stop();
  }

  /** `await using pgp = createPgpVerifier()`: {@link PgpVerifier.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Creates a verifier. Nothing is loaded or started before the first call. */
export function createPgpVerifier(options: PgpVerifierOptions = {}): PgpVerifier {
  return new PgpVerifier(options);
}
