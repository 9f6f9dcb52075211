import { HandlerError } from '@umd/core/handler';
import { EBADMSG } from '../contract.js';

/** Throws the handler's one error: input that cannot be parsed, with what is wrong. */
export function bad(problem: string): never {
  throw new HandlerError(EBADMSG, problem);
}
