/** The umd CLASSIFY command: JSON request in, JSON result out (filled in by the engine). */
import { Errno } from '../abi/index.js';
import type { TableStore } from './table-store.js';

/** Answer a CLASSIFY request. */
export function classifyCommand(_store: TableStore, _json: Uint8Array): { status: number; body?: Uint8Array; message?: string } {
  return { status: -Errno.EINVAL, message: 'CLASSIFY: not yet available' };
}
