import { HandlerError } from '@umd/core/handler';
import { EBADMSG, EOPNOTSUPP } from '../contract.js';

/** Throws the handler's error for input that cannot be parsed, with what is wrong. */
export function bad(problem: string): never {
  throw new HandlerError(EBADMSG, problem);
}

/** Throws the handler's error for well-formed input in a format it does not read. */
export function unsupported(problem: string): never {
  throw new HandlerError(EOPNOTSUPP, problem);
}
