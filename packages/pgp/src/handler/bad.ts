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

/**
 * Why a secret key export is refused: a verifier needs only public keys, and secret key
 * material has no business in the handler, or in whatever handed it over.
 */
export const SECRET_KEYS =
  'secret keys are not accepted: give the public keys (gpg --export, not --export-secret-keys)';
