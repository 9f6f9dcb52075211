/**
 * `@umd/pgp`: OpenPGP verification (detached, cleartext, inline signatures; keys; RPM
 * package signatures and file digests) with the packet parser in an isolated handler
 * process. The host decides every verdict itself, with node:crypto.
 * @packageDocumentation
 */
export {
  type CallOptions,
  createPgpVerifier,
  MAX_KEY_CACHE_SIZE,
  PIPELINE_DEPTH,
  Keyring,
  type Keys,
  type MessageResult,
  PgpVerifier,
  type PgpVerifierOptions,
  type VerifyOptions,
  type VerifyResult,
} from './driver.js';
export { isPgpError, PgpError, PgpErrorCode } from './errors.js';
export type { KeyInfo, PublicKeyInfo, SubkeyInfo, UserIdInfo } from './host/keys.js';
export type { SignatureResult, SignatureStatus } from './host/verify.js';
export type { Input, SignedData } from './input.js';
export { DRIVER_NAME } from './contract.js';
export {
  type Appraisal,
  type AppraisalReason,
  type AppraiseOptions,
  appraise,
} from './appraise.js';
export type { DigestStatus, RpmFile, RpmResult } from './rpm.js';
