/**
 * `@umd/core/testing`: helpers for tests: an in-memory channel pair (no processes), and a view of
 * the process table to prove that no handler process is left behind.
 * @packageDocumentation
 */
export * from './testing/index.js';
