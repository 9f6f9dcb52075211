/**
 * The IPv4 tables bpfilter serves and their hooks, and the table a kernel creates when one
 * is first used: an ACCEPT policy per hook and the final ERROR entry.
 */
import {
  NF_INET_NUMHOOKS,
  VERDICT_ACCEPT,
  XT_ERROR_TARGET,
  assembleEntry,
  concatBytes,
  emptyIptIp,
  encodeErrorTarget,
  encodeStandardTarget,
  type HookOffsets,
} from '../abi/index.js';
import { TABLE_HOOKS } from '../model/tables.js';
import { translateTable, type TranslatedTable } from './translate.js';

const bit = (hook: number) => 1 << hook;

/** Table name -> `valid_hooks` (the model's table list). */
export const BUILTIN_TABLES = TABLE_HOOKS;

/** The table as a kernel initialises it (every policy ACCEPT), already validated. */
export function initialTable(name: string): TranslatedTable {
  const validHooks = BUILTIN_TABLES.get(name);
  if (validHooks === undefined) throw new RangeError(`unknown table "${name}"`);
  const parts: Uint8Array[] = [];
  const hookEntry: number[] = [0, 0, 0, 0, 0];
  let offset = 0;
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(validHooks & bit(h))) continue;
    const policy = assembleEntry({ ip: emptyIptIp() }, [], encodeStandardTarget(VERDICT_ACCEPT));
    hookEntry[h] = offset;
    parts.push(policy);
    offset += policy.length;
  }
  parts.push(assembleEntry({ ip: emptyIptIp() }, [], encodeErrorTarget(XT_ERROR_TARGET)));
  const entries = concatBytes(parts);
  const result = translateTable({
    name,
    validHooks,
    numEntries: parts.length,
    size: entries.length,
    hookEntry: hookEntry as HookOffsets,
    underflow: hookEntry as HookOffsets,
    entries,
  });
  if (!result.ok) throw new Error(`initial table "${name}" failed validation: ${result.message}`);
  return result.table;
}
