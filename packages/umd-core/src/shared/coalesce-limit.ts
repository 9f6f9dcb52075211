/**
 * A frame's payload up to this size is copied behind its header and leaves in one buffer (the
 * host's requests, the handler's replies, batched); a larger one is written as it is, after its
 * header (a writev): a copy of a small payload costs less than a chunk of its own, and a copy of
 * a large one more.
 */
export const COALESCE_LIMIT = 16 * 1024;
