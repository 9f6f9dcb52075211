export { isUmdError, UmdError, UmdErrorCode, type UmdErrorDetails } from './errors/umd-error.js';
