/**
 * `@umd/core/handler`: the runtime for handler processes written in JavaScript or TypeScript.
 * @packageDocumentation
 */
export * from './handler/index.js';
export { isUmdError, UmdError, UmdErrorCode, type UmdErrorDetails } from './errors/umd-error.js';
