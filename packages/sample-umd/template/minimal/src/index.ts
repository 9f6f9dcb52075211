/**
 * `__PACKAGE_NAME__`: the host side. A manager starts the handler on the first request and
 * turns every fault (crash, hang, bad reply) into a typed `UmdError`.
 * @packageDocumentation
 */
import { UmdManager } from '@umd/mgmt';

/** A manager of this driver's handler; nothing starts until the first request. */
export function create__PASCAL__Manager(): UmdManager {
  return new UmdManager({
    name: '__NAME__',
    loader: () => import('./loader.js'),
    requestTimeoutMs: 5_000,
  });
}

/** Sends `text` to the handler and returns its reply: the text in upper case. */
export async function upper(
  manager: UmdManager,
  text: string,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  const reply = await manager.request(new TextEncoder().encode(text), options);
  return new TextDecoder().decode(reply);
}
