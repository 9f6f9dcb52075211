import { UmdError, UmdErrorCode } from '@umd/core';
import type { HandlerMode } from '../loader/loader-types.js';

/**
 * Host variables a handler may inherit. Everything else (NODE_OPTIONS, NODE_EXTRA_CA_CERTS,
 * credentials, proxies...) stays out: a handler gets an allow-list, never the host's environment.
 */
export const ENV_ALLOW_LIST: readonly string[] = Object.freeze(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ']);

// Variables that would let a caller's `env` option switch the JS sandbox off or inject code.
const REFUSED_EXTRA = new Set(['NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'UMD_PROTOCOL']);

/** Builds the handler's environment: the allow-listed host variables, then `extra`, then `UMD_PROTOCOL`. */
export function buildHandlerEnv(
  mode: HandlerMode,
  extra: Readonly<Record<string, string>> = {},
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOW_LIST) {
    const value = hostEnv[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (REFUSED_EXTRA.has(key)) throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `env: ${key} may not be set for a handler`);
    if (typeof value !== 'string') throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `env: ${key} must be a string`);
    env[key] = value;
  }
  env.UMD_PROTOCOL = mode;
  return env;
}
