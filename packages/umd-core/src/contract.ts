/**
 * `@umd/core/contract`: typed requests and replies. A driver declares its contract once (codecs,
 * optional Standard Schema validators) in a module that host and handler both import.
 * @packageDocumentation
 */
export * from './contract/index.js';
