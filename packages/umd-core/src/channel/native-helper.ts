import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { debug } from '../shared/debug-log.js';

/** What the host addon (`native/umd_addon.c` and its parts) exports. */
export interface HostAddon {
  /** `[hostFd, handlerFd, sendBuffer]`: a socketpair with `sendBuffer` asked for as each end's send buffer. */
  socketpair(sendBuffer: number): unknown;
  /** Closes a descriptor `socketpair()` returned, without fs (which warns in worker threads). */
  close(fd: number): void;
  /** An `ArrayBuffer` of `length` bytes over memory the addon maps and keeps for later replies, or `undefined`. */
  block(length: number): unknown;
  /** Unmaps the blocks kept for later replies; returns their bytes. */
  trim(): unknown;
  /** Counts of the blocks since the process started (see `native/umd_reply_memory.c`). */
  stats(): unknown;
  /** Bytes of blocks handed out since a block was last released. */
  outBytes(): unknown;
  /** One non-blocking `writev` of `chunks` to the socket `fd`: bytes written, 0, or -errno (`native/umd_write_now.c`). */
  writeNow(fd: number, chunks: readonly Uint8Array[]): unknown;
}

const FUNCTIONS = [
  'socketpair',
  'close',
  'block',
  'trim',
  'stats',
  'outBytes',
  'writeNow',
] as const;

let addon: HostAddon | null | undefined;

/**
 * The host addon (`dist/native/umd_native.node`), loaded once; `undefined` where it cannot be
 * (logged under `NODE_DEBUG=umd`). Its SHA-256 must be the one the build wrote beside it: a
 * truncated shared object kills the process that loads it (SIGBUS), and an altered one is not
 * the code the build made.
 */
export function hostAddon(): HostAddon | undefined {
  if (addon !== undefined) return addon ?? undefined;
  addon = null;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@umd/core/package.json'));
    const file = join(root, 'dist', 'native', 'umd_native.node');
    const expected = readFileSync(`${file}.sha256`, 'utf8').trim();
    const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (actual !== expected) throw new Error(`its digest is not the one in ${file}.sha256`);
    const loaded = require(file) as Partial<HostAddon> | null;
    const missing = FUNCTIONS.filter((name) => typeof loaded?.[name] !== 'function');
    if (missing.length > 0) throw new Error(`it has no ${missing.join(', ')}`);
    addon = loaded as HostAddon;
  } catch (error) {
    const why = (error as Error)?.message;
    debug(
      "stdio sockets: native helper unavailable (%s); stdio pipes, large replies in Node's memory",
      why,
    );
  }
  return addon ?? undefined;
}
