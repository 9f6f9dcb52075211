/**
 * The iptables socket-option ABI (x86-64): constants, struct layouts and their codecs,
 * and the handler's request/reply framing.
 */
export * from './constants.js';
export * from './bytes.js';
export * from './table-structs.js';
export * from './entry.js';
export * from './xt-object.js';
export * from './extensions.js';
export * from './mbox.js';
export * from './classify-batch.js';
export * from './nat-range.js';
export * from './entry-blob.js';
export * from './entry-index.js';
export * from './table-names.js';
export * from './replace-receipt.js';
