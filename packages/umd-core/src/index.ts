/**
 * `@umd/core`: the wire-format codec and the host side of the umd pipe transport.
 * The handler runtime is in `@umd/core/handler`, test helpers in `@umd/core/testing`.
 * @packageDocumentation
 */
export { isUmdError, UmdError, UmdErrorCode, type UmdErrorDetails } from './errors/umd-error.js';
export { causeMessage } from './errors/cause-message.js';
export {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkSignal,
  invalidArgument,
  type OptionsErrors,
  readingOptions,
  showValue,
} from './shared/check-options.js';
export * from './codec/index.js';
export * from './channel/index.js';
export * from './contract/index.js';
