/**
 * `@umd/core/testing`: helpers for tests: an in-memory channel pair (no processes), a view of
 * the process table to prove that no handler process is left behind, temporary directories
 * that a test leaves none of, and the counts of the reply memory (blocks reused or mapped).
 * @packageDocumentation
 */
export * from './testing/index.js';
