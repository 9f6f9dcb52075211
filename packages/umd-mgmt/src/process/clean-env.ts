import { UmdError, UmdErrorCode } from '@umd/core';
import type { HandlerMode } from '../loader/loader-types.js';

/**
 * Host variables a handler may inherit. Everything else (NODE_OPTIONS, NODE_EXTRA_CA_CERTS,
 * credentials, proxies...) stays out: a handler gets an allow-list, never the host's environment.
 */
export const ENV_ALLOW_LIST: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
]);

/**
 * glibc allocator settings the manager gives handler processes by default (`transport.tuneAllocator`):
 * allocations up to 256 MiB come from the heap instead of fresh `mmap`s, and freed memory is kept
 * (trimmed only above 1 GiB, grown in 64 MiB steps) instead of going back to the kernel. A handler
 * answering large requests then reuses warm pages instead of faulting in fresh ones per request,
 * which was most of its cost at 1 MiB and above. The price: memory a handler freed stays in it.
 * These are the manager's own values, never read from the host's environment; `env` overrides them.
 */
export const TUNED_ALLOCATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: String(256 << 20),
  MALLOC_TRIM_THRESHOLD_: String(1 << 30),
  MALLOC_TOP_PAD_: String(64 << 20),
});

// Variables that would let a caller's `env` option switch the JS sandbox off or inject code.
const REFUSED_EXTRA = new Set([
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_REPL_EXTERNAL_MODULE',
  'UMD_PROTOCOL',
]);

/**
 * Builds the handler's environment: the allow-listed host variables, then the manager's own
 * `defaults` (e.g. {@link TUNED_ALLOCATOR_ENV}), then `extra` (which may override a default),
 * then `UMD_PROTOCOL`.
 */
export function buildHandlerEnv(
  mode: HandlerMode,
  extra: Readonly<Record<string, string>> = {},
  hostEnv: NodeJS.ProcessEnv = process.env,
  defaults: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOW_LIST) {
    const value = hostEnv[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, defaults);
  for (const [key, value] of Object.entries(extra)) {
    if (REFUSED_EXTRA.has(key))
      throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `env: ${key} may not be set for a handler`);
    if (typeof value !== 'string')
      throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `env: ${key} must be a string`);
    env[key] = value;
  }
  env.UMD_PROTOCOL = mode;
  return env;
}
