export { HandlerError, isHandlerError, EIO, ECANCELED } from './handler-error.js';
export type { HandlerContext, RequestHandler } from './request-handler.js';
export { serve, PROTOCOL_EXIT_CODE } from './serve.js';
export { serveContract, type ContractHandler } from './serve-contract.js';
export type { ServeOptions } from './serve-options.js';
export type { ReadMode } from './stdin-frame-reader.js';
export { serveRaw, type RawServeOptions } from './serve-raw.js';
