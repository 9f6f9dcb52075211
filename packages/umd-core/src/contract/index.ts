export { bytes, type Codec, type CodecValue, codec, json, structured } from './codecs.js';
export {
  type Contract,
  type ContractReply,
  type ContractRequest,
  defineContract,
} from './define-contract.js';
export {
  ContractViolation,
  type StandardSchemaIssue,
  type StandardSchemaResult,
  type StandardSchemaV1,
  validateWith,
} from './standard-schema.js';
