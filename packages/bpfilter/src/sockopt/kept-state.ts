/**
 * The kept tables as a JSON-serializable object (what `exportState` returns, `--state FILE`
 * holds and `options.state` takes back), and the check that an object really is one.
 */
import { UmdError, UmdErrorCode } from '@umd/core';
import { fromHex, toHex } from '../abi/bytes.js';
import {
  decodeGetinfo,
  encodeGetinfo,
  IPT_GETINFO_SIZE,
  type IptGetinfo,
} from '../abi/table-structs.js';
import { decodeTable } from '../model/decode.js';
import { u16 } from '../handler/extension-spec.js';
import { IPSET_INVALID_ID } from '../handler/ipset-sockopt.js';
import { setTargetOffsets } from '../handler/set-checks.js';
import type { Table } from '../model/index.js';
import type { TableSnapshot } from './table-snapshot.js';

/** The kept state: every committed table, in the order the tables came into use. Serializable as JSON. */
export interface BpfilterState {
  /** Format version of this object. */
  version: 1;
  /** Tables seen in use (GET_INFO or a change), oldest first. */
  tablesInUse: string[];
  /** Committed tables: `info` is the hex `ipt_getinfo`, `entries` the hex entry blob. */
  tables: { name: string; info: string; entries: string }[];
}

/** The state of `snapshots`, with the tables in use in their order. */
export function stateOf(
  tablesInUse: readonly string[],
  snapshots: readonly TableSnapshot[],
): BpfilterState {
  return {
    version: 1,
    tablesInUse: [...tablesInUse],
    tables: snapshots.map((s) => ({
      name: s.info.name,
      info: toHex(encodeGetinfo(s.info)),
      entries: toHex(s.entries),
    })),
  };
}

/**
 * The kept entries hold an ipset's kernel index, not its name, and the kernel numbers sets in
 * the order they are created: after a reboot the same index may name another set (a rule that
 * accepted `allow` would test fail2ban's ban list), and without enforcement no index exists at
 * all. So a table whose rules reference a set is refused, never restored.
 * @throws UmdError `UMD_INVALID_ARGUMENT` naming the first such rule's chain and index.
 */
function refuseSetReferences(table: Table): void {
  for (const chain of table.chains) {
    for (const rule of chain.rules) {
      const indexes: number[] = [];
      for (const match of rule.matches ?? [])
        if (match.kind === 'raw' && match.name === 'set') indexes.push(u16(match.data, 0));
      const { target } = rule;
      if (target.kind === 'raw' && target.name === 'SET')
        for (const offset of setTargetOffsets(target.revision)) {
          const index = u16(target.data, offset);
          if (index !== IPSET_INVALID_ID) indexes.push(index);
        }
      if (indexes.length > 0)
        throw new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `bpfilter: state of table "${table.name}" is refused: a rule in chain ${chain.name} ` +
            `references ipset set index ${indexes[0]}, and a state keeps a set's kernel index, ` +
            'not its name (after a reboot the index may name another set). Start without this ' +
            'state and restore the rules with iptables-restore, which looks the sets up by name',
        );
    }
  }
}

/**
 * The tables of `state`, each decoded once so that malformed entries are refused now rather
 * than at every handler start.
 * @throws UmdError `UMD_INVALID_ARGUMENT` for anything that is not a valid version-1 state.
 */
export function readState(state: BpfilterState): {
  tablesInUse: string[];
  snapshots: TableSnapshot[];
} {
  if (state?.version !== 1 || !Array.isArray(state.tables) || !Array.isArray(state.tablesInUse)) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      'bpfilter: state is not a version-1 BpfilterState',
    );
  }
  const snapshots = state.tables.map((table): TableSnapshot => {
    let info: IptGetinfo;
    let entries: Uint8Array;
    try {
      info = decodeGetinfo(fromHex(String(table.info)).subarray(0, IPT_GETINFO_SIZE));
      entries = fromHex(String(table.entries));
      if (info.name !== table.name || entries.length !== info.size)
        throw new RangeError('name or size does not match its entries');
      refuseSetReferences(decodeTable(info.name, info, entries));
    } catch (cause) {
      if (cause instanceof UmdError) throw cause;
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `bpfilter: state of table "${String(table.name)}" is not valid: ${(cause as Error).message}`,
        { cause },
      );
    }
    return { info, entries };
  });
  return { tablesInUse: state.tablesInUse.map(String), snapshots };
}
