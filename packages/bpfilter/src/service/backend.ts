import type { MboxRequest } from '../abi/mbox.js';

/** The answer to one request: the kernel-style status and the bytes that go back. */
export interface BackendReply {
  /** 0 or a negative errno, as the kernel's sockopt handlers return. */
  status: number;
  /** Bytes to copy back (a get's buffer, a replace's old counters, a command's body). */
  body?: Uint8Array;
}

/**
 * What the service needs from bpfilter: run one request, decoded from the preload's
 * `mbox_request`. The default backend is the package's sockopt front end; tests may pass
 * their own.
 */
export interface ServiceBackend {
  /**
   * Runs `request`. Resolves with the kernel-style reply; rejects only when the request
   * could not be run at all (the handler cannot start, a timeout): the client then gets an
   * ERROR frame with the message.
   */
  request(request: MboxRequest, options: { signal: AbortSignal }): Promise<BackendReply>;
  /** Releases what the backend holds (stops the handler). Called once by the service's close(). */
  close?(): Promise<void>;
}
