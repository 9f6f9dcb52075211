import type { Contract } from '../contract/define-contract.js';
import { isThenable, type MaybePromise, thenOrNow } from '../shared/maybe-async.js';
import { EIO, HandlerError } from './handler-error.js';
import type { HandlerContext, RequestHandler } from './request-handler.js';
import { serve } from './serve.js';
import type { ServeOptions } from './serve-options.js';

// The request is not one the contract allows: invalid argument.
const EINVAL = -22;

/** Answers one typed request: return (or resolve with) the reply value, or throw a `HandlerError`. */
export type ContractHandler<Req, Rep> = (
  request: Req,
  context: HandlerContext,
) => Rep | Promise<Rep>;

/**
 * `serve()` through a contract: each request is decoded and validated before `handler` sees
 * it (a request the contract refuses is answered with an ERROR frame, -22 EINVAL, and never
 * reaches the handler), and the handler's value is validated and encoded (a reply the contract
 * refuses is answered with -5 EIO: the host never gets a reply that breaks the contract from
 * this side).
 *
 * Where the codecs, validators and `handler` are all synchronous, so is each answer: no promise
 * per request, and the handler's read loop stays on its blocking fast path (see `serve()`).
 *
 * `reuseRequestBuffers` defaults to true when the request codec declares `decodeCopies` (as
 * `json()` and `structured()` do): the handler only ever sees the decoded value, which owns its
 * memory, so the payload's buffer can take the next request. Otherwise it stays false.
 */
export function serveContract<Req, Rep>(
  contract: Contract<Req, Rep>,
  handler: ContractHandler<Req, Rep>,
  options: ServeOptions,
): Promise<void> {
  const serveOptions = withReuseDefault(contract.request.decodeCopies === true, options);
  return serve(contractRequestHandler(contract, handler), serveOptions);
}

/**
 * The bytes-level handler that `serveContract()` serves: decode (failures: `HandlerError`
 * EINVAL), `handler`, encode (failures: EIO). Synchronous unless a step returns a promise.
 */
export function contractRequestHandler<Req, Rep>(
  contract: Contract<Req, Rep>,
  handler: ContractHandler<Req, Rep>,
): RequestHandler {
  const encode = (reply: Rep): Uint8Array | Promise<Uint8Array> =>
    settledAs(EIO, () => contract.encodeReply(reply));
  return (payload, context) => {
    const request = settledAs(EINVAL, () => contract.decodeRequest(payload));
    return thenOrNow(request, (value) => thenOrNow(handler(value, context), encode));
  };
}

/** `step()`'s value; its failure, thrown or promised, as a `HandlerError` with `errno`. */
function settledAs<T>(errno: number, step: () => MaybePromise<T>): T | Promise<T> {
  const refused = (error: unknown): never => {
    throw new HandlerError(errno, (error as Error).message);
  };
  let value: MaybePromise<T>;
  try {
    value = step();
  } catch (error) {
    return refused(error);
  }
  return isThenable(value)
    ? Promise.resolve(value as PromiseLike<T>).then(undefined, refused)
    : value;
}

/** `options` with `reuseRequestBuffers` defaulted to whether the request codec copies on decode. */
function withReuseDefault(decodeCopies: boolean, options: ServeOptions): ServeOptions {
  if (typeof options !== 'object' || options === null || options.reuseRequestBuffers !== undefined)
    return options; // serve() reports bad options; an explicit choice stands
  return { ...options, reuseRequestBuffers: decodeCopies };
}
