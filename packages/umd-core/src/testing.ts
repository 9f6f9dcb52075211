/**
 * `@umd/core/testing`: helpers for tests: an in-memory channel pair (no processes), a view of
 * the process table to prove that no handler process is left behind, and temporary directories
 * that a test leaves none of.
 * @packageDocumentation
 */
export * from './testing/index.js';
