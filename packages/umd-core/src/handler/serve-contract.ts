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
 */
export function serveContract<Req, Rep>(
  contract: Contract<Req, Rep>,
  handler: ContractHandler<Req, Rep>,
  options: ServeOptions,
): Promise<void> {
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
  }, options);
}
