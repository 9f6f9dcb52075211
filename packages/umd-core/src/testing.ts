/**
 * `@umd/core/testing`: helpers for tests: an in-memory channel pair (no processes), a view of
 * the process table to prove that no handler process is left behind, temporary directories
 * that a test leaves none of, the counts of the reply memory (blocks reused or mapped), and a
 * byte comparison of large buffers.
 * @packageDocumentation
 */
export * from './testing/index.js';
