import type { Contract } from '../contract/define-contract.js';
import { EIO, HandlerError } from './handler-error.js';
import type { HandlerContext } from './request-handler.js';
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
  return serve(async (payload, context) => {
    let request: Req;
    try {
      request = await contract.decodeRequest(payload);
    } catch (error) {
      throw new HandlerError(EINVAL, (error as Error).message);
    }
    const reply = await handler(request, context);
    try {
      return await contract.encodeReply(reply);
    } catch (error) {
      throw new HandlerError(EIO, (error as Error).message);
    }
  }, serveOptions);
}

/** `options` with `reuseRequestBuffers` defaulted to whether the request codec copies on decode. */
function withReuseDefault(decodeCopies: boolean, options: ServeOptions): ServeOptions {
  if (typeof options !== 'object' || options === null || options.reuseRequestBuffers !== undefined)
    return options; // serve() reports bad options; an explicit choice stands
  return { ...options, reuseRequestBuffers: decodeCopies };
}
