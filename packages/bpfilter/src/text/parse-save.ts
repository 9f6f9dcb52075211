/**
 * The iptables-save / iptables-restore text format -> tables of the model. Reads what
 * {@link formatSave} and iptables-legacy-save print: `*table`, `:CHAIN POLICY [p:b]`,
 * `[p:b] -A CHAIN ...`, `COMMIT`, comments and blank lines.
 */
import { UmdError, UmdErrorCode } from '@umd/core';
import { builtinChains, hookOf, TABLE_HOOKS } from '../model/tables.js';
import type { Chain, Counters, Policy, Table } from '../model/types.js';
import { parseRuleArgs } from './parse-rule.js';
import { tokenizeLine } from './tokenize.js';

/** A table read from text. Built-in chains the text did not declare are absent (restore keeps their current policy). */
export interface ParsedTable extends Table {
  /** Built-in chain names the text declared with a `:CHAIN POLICY` line. */
  declaredBuiltins: string[];
}

const COUNTERS = /^\[(\d+):(\d+)\]$/;

/** Parses iptables-save text. Throws `UmdError` `UMD_INVALID_ARGUMENT` naming the line of the first fault. */
export function parseSave(text: string): ParsedTable[] {
  const tables: ParsedTable[] = [];
  let table:
    | { name: string; chains: Map<string, Chain>; builtins: string[]; declared: string[] }
    | undefined;
  if (typeof text !== 'string')
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'iptables-save text must be a string');
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const fail = (message: string): UmdError =>
      new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `iptables-save text, line ${n + 1}: ${message}: ${line}`,
      );
    if (line === '' || line.startsWith('#')) continue;
    try {
      if (line.startsWith('*')) {
        if (table) throw fail(`table "${table.name}" has no COMMIT before the next table`);
        const name = line.slice(1);
        const hooks = TABLE_HOOKS.get(name);
        if (hooks === undefined)
          throw fail(
            `unknown table "${name}" (bpfilter serves ${[...TABLE_HOOKS.keys()].join(', ')})`,
          );
        if (tables.some((t) => t.name === name)) throw fail(`table "${name}" appears twice`);
        table = { name, chains: new Map(), builtins: builtinChains(hooks), declared: [] };
        continue;
      }
      if (!table) throw fail('expected a *table line first');
      if (line === 'COMMIT') {
        tables.push(finishTable(table));
        table = undefined;
        continue;
      }
      if (line.startsWith(':')) {
        const [name = '', policy = '', counters = '[0:0]', ...rest] = line.slice(1).split(/\s+/);
        if (rest.length > 0 || !COUNTERS.test(counters))
          throw fail('expected ":CHAIN POLICY [packets:bytes]"');
        if (table.chains.has(name)) throw fail(`chain "${name}" declared twice`);
        const isBuiltin = table.builtins.includes(name);
        if (isBuiltin) {
          if (policy !== 'ACCEPT' && policy !== 'DROP')
            throw fail(`built-in chain ${name} needs policy ACCEPT or DROP`);
          table.declared.push(name);
          table.chains.set(name, {
            name,
            policy: policy as Policy,
            counters: parseCounters(counters),
            rules: [],
          });
        } else {
          if (hookOf(name) !== undefined)
            throw fail(`table "${table.name}" has no built-in chain ${name}`);
          if (policy !== '-') throw fail(`user chain ${name} cannot have a policy`);
          if (!/^[^\s!-][^\s]{0,28}$/.test(name)) throw fail(`invalid chain name "${name}"`);
          table.chains.set(name, { name, rules: [] });
        }
        continue;
      }
      let tokens = tokenizeLine(line);
      let counters: Counters | undefined;
      if (tokens[0] !== undefined && COUNTERS.test(tokens[0])) {
        counters = parseCounters(tokens[0]);
        tokens = tokens.slice(1);
      }
      if (tokens[0] !== '-A' && tokens[0] !== '--append')
        throw fail('only -A rule lines are supported in a table section');
      const chain = table.chains.get(tokens[1] ?? '');
      if (!chain) throw fail(`chain "${tokens[1] ?? ''}" is not declared`);
      chain.rules.push(parseRuleArgs(tokens.slice(2), counters));
    } catch (error) {
      if (error instanceof UmdError) throw error;
      throw fail((error as Error).message);
    }
  }
  if (table)
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `iptables-save text: table "${table.name}" has no COMMIT`,
    );
  return tables;
}

const U64_MAX = 2n ** 64n - 1n;

/** `[packets:bytes]`; a count past 64 bits is 2^64-1, as iptables-restore's strtoull reads it. */
function parseCounters(text: string): Counters {
  const [, packets = '0', bytes = '0'] = COUNTERS.exec(text) ?? [];
  const count = (digits: string) => {
    const value = BigInt(digits);
    return value > U64_MAX ? U64_MAX : value;
  };
  return { packets: count(packets), bytes: count(bytes) };
}

function finishTable(table: {
  name: string;
  chains: Map<string, Chain>;
  builtins: string[];
  declared: string[];
}): ParsedTable {
  for (const chain of table.chains.values()) {
    for (const rule of chain.rules) {
      const target = rule.target;
      if ((target.kind === 'jump' || target.kind === 'goto') && !table.chains.has(target.chain)) {
        throw new Error(
          `chain ${chain.name} jumps to "${target.chain}", which is not a declared chain or a target bpfilter knows`,
        );
      }
      if (
        (target.kind === 'jump' || target.kind === 'goto') &&
        table.builtins.includes(target.chain)
      ) {
        throw new Error(`chain ${chain.name} jumps to built-in chain ${target.chain}`);
      }
    }
  }
  const builtins = table.builtins.flatMap((name) => table.chains.get(name) ?? []);
  const user = [...table.chains.values()].filter((c) => c.policy === undefined);
  return { name: table.name, chains: [...builtins, ...user], declaredBuiltins: table.declared };
}
