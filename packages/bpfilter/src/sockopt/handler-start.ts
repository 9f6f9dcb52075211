/**
 * What a new handler goes through before any caller's request reaches it (the front end's
 * `postStart`): bpfilter's health check; with the kernel's ipsets, the command that makes it
 * take their indexes; then every kept table back, oldest table first.
 */
import type { HandlerSession } from '@umd/mgmt';
import { UMD_CMD_KERNEL_SETS } from '../abi/constants.js';
import type { KeptTables } from './kept-tables.js';
import { exchange, type SendRequest } from './table-snapshot.js';

/** Prepares the handler of `session`; resolves with the names of the tables it got back. */
export async function prepareHandler(
  session: HandlerSession,
  kept: KeptTables,
  kernelSets: boolean,
): Promise<string[]> {
  kept.newGeneration();
  const send: SendRequest = (request) => session.request(request);
  const health = await exchange(send, { isSet: false, cmd: 0, pid: process.pid });
  if (health.status !== 0)
    throw new Error(`bpfilter health check (get, cmd 0) answered ${health.status}`);
  if (kernelSets) {
    const sets = await exchange(send, { isSet: true, cmd: UMD_CMD_KERNEL_SETS, pid: process.pid });
    if (sets.status !== 0)
      throw new Error(
        `bpfilter KERNEL_SETS (set, cmd ${UMD_CMD_KERNEL_SETS}) answered ${sets.status}`,
      );
  }
  return kept.restoreInto(send);
}
