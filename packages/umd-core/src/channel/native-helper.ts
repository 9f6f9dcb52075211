import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { debug } from '../shared/debug-log.js';

/** What `native/umd_socketpair.c` exports. */
export interface SocketpairAddon {
  socketpair(sendBuffer: number): unknown;
  /** Closes a descriptor `socketpair()` returned, without fs (which warns in worker threads). */
  close(fd: number): void;
}

let addon: SocketpairAddon | null | undefined;

/**
 * The native helper (`dist/native/umd_socketpair.node`), loaded once; `undefined` where it cannot
 * be (logged under `NODE_DEBUG=umd`). Its SHA-256 must be the one the build wrote beside it: a
 * truncated shared object kills the process that loads it (SIGBUS), and an altered one is not
 * the code the build made.
 */
export function socketpairAddon(): SocketpairAddon | undefined {
  if (addon !== undefined) return addon ?? undefined;
  addon = null;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@umd/core/package.json'));
    const file = join(root, 'dist', 'native', 'umd_socketpair.node');
    const expected = readFileSync(`${file}.sha256`, 'utf8').trim();
    const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (actual !== expected) throw new Error(`its digest is not the one in ${file}.sha256`);
    const loaded = require(file) as unknown;
    const functions = loaded as Partial<SocketpairAddon> | null;
    if (typeof functions?.socketpair !== 'function' || typeof functions.close !== 'function')
      throw new Error('it has no socketpair() and close()');
    addon = loaded as SocketpairAddon;
  } catch (error) {
    debug('stdio sockets: native helper unavailable (%s); stdio pipes', (error as Error)?.message);
  }
  return addon ?? undefined;
}
