/**
 * `@umd/core/testing`: helpers for testing code that talks to a handler, without processes.
 * @packageDocumentation
 */
export * from './testing/index.js';
