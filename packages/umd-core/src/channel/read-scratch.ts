/**
 * The buffer that direct reads land in when they do not go straight into a payload (headers,
 * small replies, bytes before a channel attaches). Every such read is consumed (parsed, copied
 * out or replayed) inside its own read callback, before any other read of the process can
 * happen, so one buffer serves every channel and reply socket: none keeps 64 KiB of its own
 * (allocating and clearing it was a measurable part of a native handler's cold start, and a
 * larger one per socket, an mmap each, slowed every later fork of the host).
 */
export const readScratch = new Uint8Array(64 * 1024);
