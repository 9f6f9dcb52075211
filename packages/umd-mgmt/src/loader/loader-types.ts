import type { Hello, RequestOptions } from '@umd/core';

/** How the host and the handler talk: `framed` (the umd wire format) or `raw` (fixed-size exchange, kernel style). */
export type HandlerMode = 'framed' | 'raw';

/**
 * A connection to a freshly started handler, given to `postStart` hooks. It bypasses the
 * manager's queue: it is only valid while the hook runs, before any real request is sent.
 */
export interface HandlerSession {
  /** Process id of the handler, or of its supervisor with `pid-namespace` containment. */
  readonly pid: number;
  /** The handler's HELLO (framed mode); `undefined` in raw mode. */
  readonly hello: Hello | undefined;
  /** Framed mode: send one request and wait for its reply. */
  request(payload: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  /** Raw mode: write `request`, read exactly `replyLength` bytes. */
  exchange(request: Uint8Array, replyLength: number, options?: RequestOptions): Promise<Uint8Array>;
}

/** What a driver package declares about its handler program (the "blob"). */
export interface LoaderSpec {
  /** Name of the handler, used in logs, errors and the staging directory. */
  name: string;
  /** Protocol mode the handler speaks. */
  mode: HandlerMode;
  /** A JavaScript handler bundled into one ESM file (see `buildBlob`), run with the host's own `node`. Absolute path or `file:` URL. */
  script?: string | URL;
  /** A native handler executable (C, Rust, Go...). Absolute path or `file:` URL. */
  executable?: string | URL;
  /** Hex SHA-256 of the blob, recorded at build time. A mismatch fails the start with `UMD_BLOB_INTEGRITY` and nothing runs. */
  sha256: string;
  /** Extra command-line arguments for the handler. */
  args?: string[];
  /**
   * JS handlers: Node options for debugging, e.g. `['--enable-source-maps']` (stack traces at
   * the source lines of a blob built with a source map) or `['--inspect=127.0.0.1:9229']`
   * (with `sandbox: { permission: false }`). Only debugging aids that widen no sandbox are
   * accepted; anything else is `UMD_INVALID_ARGUMENT`.
   */
  nodeFlags?: string[];
  /** Health check run after start (and after HELLO in framed mode), before any real request. Throwing fails the start. */
  postStart?: (session: HandlerSession) => Promise<void>;
}

/** A validated, frozen {@link LoaderSpec}, as returned by `defineLoader`. */
export interface Loader extends Readonly<Omit<LoaderSpec, 'args' | 'nodeFlags'>> {
  /** Extra command-line arguments (empty when none were given). */
  readonly args: readonly string[];
  /** Node options of a JS handler (empty when none were given). */
  readonly nodeFlags: readonly string[];
  /** `js` for a `script` blob, `native` for an `executable`. */
  readonly kind: 'js' | 'native';
  /** Absolute file-system path of the blob. */
  readonly blobPath: string;
}
