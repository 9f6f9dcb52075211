/** What a request handler learns about the request besides its bytes. */
export interface HandlerContext {
  /** The request id chosen by the host. */
  readonly id: number;
  /** Aborted when the host sends CANCEL for this request (it no longer wants the answer). */
  readonly signal: AbortSignal;
}

/** Answers one request: return (or resolve with) the reply bytes, or throw a `HandlerError`. */
export type RequestHandler = (
  payload: Uint8Array,
  context: HandlerContext,
) => Uint8Array | Promise<Uint8Array>;
