/** Table model -> the kernel's entry blob (what SET_REPLACE carries). */
import {
  NF_INET_NUMHOOKS,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  assembleEntry,
  concatBytes,
  emptyIptIp,
  encodeErrorTarget,
  encodeReplace,
  encodeStandardTarget,
  IptEntryOffset,
  XT_OBJECT_HEADER_SIZE,
  readU16,
  writeU32,
  type HookOffsets,
  type TableHeader,
  type XtCounters,
} from '../abi/index.js';
import { encodeRule, VERDICTS } from './encode-rule.js';
import { hookOf, TABLE_HOOKS } from './tables.js';
import type { Chain, Table } from './types.js';

/** The entry blob and the header fields of an `ipt_replace` for it. */
export interface EncodedTable extends TableHeader {
  name: string;
  entries: Uint8Array;
  /** Counters of every entry, in entry order (for SET_ADD_COUNTERS). */
  counters: XtCounters[];
}

const ZERO = (): XtCounters => ({ packets: 0n, bytes: 0n });

/** Options of {@link encodeTable}. */
export interface EncodeOptions {
  /**
   * Whether a table may lack built-in chains (default false): their hooks are then not in
   * `validHooks`. For enforcement plans of a table given in part (`planTable`).
   */
  partial?: boolean;
}

/**
 * Encode a table as iptables (libiptc) lays it out: built-in chains in hook order (rules,
 * then the policy entry), user chains in the given order (ERROR entry naming the chain,
 * rules, an unconditional RETURN), then the final ERROR entry. Throws a RangeError on an
 * unknown table, a missing (unless `options.partial`) or misplaced chain, a jump to an
 * unknown chain, or a value that does not fit its field.
 */
export function encodeTable(table: Table, options: EncodeOptions = {}): EncodedTable {
  const tableHooks = TABLE_HOOKS.get(table.name);
  if (tableHooks === undefined) throw new RangeError(`unknown table "${table.name}"`);
  let validHooks = tableHooks;
  const builtins: Chain[] = [];
  const users: Chain[] = [];
  const seen = new Set<string>();
  for (const chain of table.chains) {
    if (seen.has(chain.name)) throw new RangeError(`chain "${chain.name}" appears twice`);
    seen.add(chain.name);
    const hook = hookOf(chain.name);
    if (hook !== undefined && tableHooks & (1 << hook)) builtins.push(chain);
    else {
      if (chain.policy !== undefined)
        throw new RangeError(`user chain "${chain.name}" cannot have a policy`);
      if (chain.name === '' || chain.name.length >= 29 || chain.name === XT_ERROR_TARGET)
        throw new RangeError(`invalid user chain name "${chain.name}"`);
      users.push(chain);
    }
  }
  builtins.sort((a, b) => (hookOf(a.name) ?? 0) - (hookOf(b.name) ?? 0));
  if (options.partial)
    validHooks = builtins.reduce((hooks, c) => hooks | (1 << hookOf(c.name)!), 0);
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (validHooks & (1 << h) && !builtins.some((c) => hookOf(c.name) === h))
      throw new RangeError(`table "${table.name}" lacks its built-in chain for hook ${h}`);
  }

  // Lay out every entry; jumps are patched once the user chains' offsets are known.
  const parts: Uint8Array[] = [];
  const counters: XtCounters[] = [];
  const jumps: { entry: Uint8Array; chain: string; where: string }[] = [];
  const chainStart = new Map<string, number>();
  const hookEntry: number[] = [0, 0, 0, 0, 0];
  const underflow: number[] = [0, 0, 0, 0, 0];
  let position = 0;
  const push = (entry: Uint8Array, entryCounters: XtCounters | undefined) => {
    parts.push(entry);
    counters.push(entryCounters ?? ZERO());
    position += entry.length;
  };
  const pushRules = (chain: Chain) => {
    chain.rules.forEach((rule, index) => {
      const where = `chain "${chain.name}" rule ${index + 1}`;
      const entry = encodeRule(rule, where);
      if (rule.target.kind === 'jump' || rule.target.kind === 'goto')
        jumps.push({ entry, chain: rule.target.chain, where });
      // No target: libiptc's fall-through, a standard verdict naming the next entry's offset.
      if (rule.target.kind === 'none')
        writeU32(entry, verdictOffset(entry), position + entry.length);
      push(entry, rule.counters);
    });
  };
  for (const chain of builtins) {
    const hook = hookOf(chain.name) ?? 0;
    hookEntry[hook] = position;
    pushRules(chain);
    underflow[hook] = position;
    const policy = chain.policy ?? 'ACCEPT';
    if (policy !== 'ACCEPT' && policy !== 'DROP')
      throw new RangeError(`chain "${chain.name}": policy must be ACCEPT or DROP`);
    push(
      assembleEntry({ ip: emptyIptIp() }, [], encodeStandardTarget(VERDICTS[policy])),
      chain.counters,
    );
  }
  for (const chain of users) {
    push(assembleEntry({ ip: emptyIptIp() }, [], encodeErrorTarget(chain.name)), undefined);
    chainStart.set(chain.name, position);
    pushRules(chain);
    push(
      assembleEntry({ ip: emptyIptIp() }, [], encodeStandardTarget(VERDICT_RETURN)),
      chain.counters,
    );
  }
  push(assembleEntry({ ip: emptyIptIp() }, [], encodeErrorTarget(XT_ERROR_TARGET)), undefined);
  for (const jump of jumps) {
    const start = chainStart.get(jump.chain);
    if (start === undefined)
      throw new RangeError(`${jump.where}: jump to unknown user chain "${jump.chain}"`);
    writeU32(jump.entry, verdictOffset(jump.entry), start);
  }

  const entries = concatBytes(parts);
  return {
    name: table.name,
    validHooks,
    hookEntry: hookEntry as HookOffsets,
    underflow: underflow as HookOffsets,
    numEntries: parts.length,
    size: entries.length,
    entries,
    counters,
  };
}

/**
 * The `ipt_replace` request for a table (header + entries); `numCounters` is the entry count
 * of the table being replaced (GET_INFO's `num_entries`).
 */
export function encodeReplaceRequest(table: Table, numCounters: number): Uint8Array {
  const encoded = encodeTable(table);
  return encodeReplace({ ...encoded, numCounters, countersPointer: 0n });
}

/** Where the verdict of an entry's standard target sits. */
function verdictOffset(entry: Uint8Array): number {
  return readU16(entry, IptEntryOffset.targetOffset) + XT_OBJECT_HEADER_SIZE;
}
