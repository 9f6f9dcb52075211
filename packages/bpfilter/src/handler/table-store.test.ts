import { describe, expect, it } from 'vitest';
import { encodeMboxRequest, IPT_SO_GET_INFO, IPT_SO_SET_REPLACE } from '../abi/index.js';
import { encodeReplaceRequest, type Rule, type Table } from '../model/index.js';
import {
  ACCEPT,
  DROP,
  installTable,
  readTable,
  send,
  tableInfo,
  tableState,
} from '../../test/handler-core-requests.js';
import { createHandlerCore, type HandlerCore } from './core.js';
import { TableStore } from './table-store.js';

/** A filter table whose INPUT chain drops TCP to each of `ports` (same size for as many ports). */
function filter(ports: readonly number[], verdict: Rule['target'] = DROP): Table {
  return {
    name: 'filter',
    chains: [
      {
        name: 'INPUT',
        policy: 'ACCEPT',
        rules: ports.map((port) => ({
          protocol: 6,
          matches: [{ kind: 'tcp' as const, destinationPorts: [port, port] as [number, number] }],
          target: verdict,
        })),
      },
      { name: 'FORWARD', policy: 'DROP', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    ],
  };
}

const entriesBuffer = (core: HandlerCore) => core.store.get('filter')?.table.entries.buffer;

describe('TableStore: the memory a replace writes its entries into', () => {
  it('is that of the entries the replace before it took out of use', () => {
    const core = createHandlerCore();
    installTable(core, filter([1, 2, 3]));
    const first = entriesBuffer(core);
    installTable(core, filter([4, 5, 6]));
    const second = entriesBuffer(core);
    expect(second).not.toBe(first);
    installTable(core, filter([7, 8, 9]));
    expect(entriesBuffer(core)).toBe(first);
    expect(readTable(core, 'filter')).toMatchObject(filter([7, 8, 9]));
    installTable(core, filter([10, 11, 12]));
    expect(entriesBuffer(core)).toBe(second);
    expect(readTable(core, 'filter')).toMatchObject(filter([10, 11, 12]));
  });

  it('is fresh when the retired entries are too small, and never the initial table', () => {
    const core = createHandlerCore();
    const initial = entriesBuffer(core);
    installTable(core, filter([1]));
    installTable(core, filter([2]));
    expect(entriesBuffer(core)).not.toBe(initial);
    installTable(core, filter([3, 4, 5, 6]));
    expect(readTable(core, 'filter')).toMatchObject(filter([3, 4, 5, 6]));
    // The retired 1-rule entries are smaller than these: fresh memory, the request's bytes.
    installTable(core, filter([7, 8, 9, 10]));
    expect(readTable(core, 'filter')).toMatchObject(filter([7, 8, 9, 10]));
  });

  it('is fresh when the retired entries are more than twice as large', () => {
    const core = createHandlerCore();
    const many = Array.from({ length: 10 }, (_, i) => i + 1);
    installTable(core, filter(many));
    const large = entriesBuffer(core);
    installTable(core, filter(many.map((port) => port + 10)));
    installTable(core, filter([1]));
    expect(entriesBuffer(core)).not.toBe(large);
    expect(readTable(core, 'filter')).toMatchObject(filter([1]));
  });

  it('holds a refused replace without changing the table in use', () => {
    const core = createHandlerCore();
    installTable(core, filter([1, 2]));
    installTable(core, filter([3, 4]));
    const before = tableState(core, 'filter');
    // Refused after translation (num_counters is not the table's entry count): the checked copy
    // was written into the retired memory, not the table's.
    const { numEntries } = tableInfo(core, 'filter');
    const stale = encodeReplaceRequest(filter([5, 6], ACCEPT), numEntries + 1);
    expect(send(core, true, IPT_SO_SET_REPLACE, stale).status).toBeLessThan(0);
    expect(tableState(core, 'filter')).toBe(before);
    installTable(core, filter([7, 8]));
    expect(readTable(core, 'filter')).toMatchObject(filter([7, 8]));
  });

  it('keeps the table when its request memory is read into again, as serve() reuses it', () => {
    const core = createHandlerCore();
    const memory = new Uint8Array(64 * 1024);
    const handle = (isSet: boolean, cmd: number, data: Uint8Array) => {
      const request = encodeMboxRequest({ isSet, cmd, data });
      memory.set(request);
      return core.handle(memory.subarray(0, request.length));
    };
    for (const ports of [
      [1, 2],
      [3, 4],
      [5, 6],
    ]) {
      const { numEntries } = tableInfo(core, 'filter');
      handle(true, IPT_SO_SET_REPLACE, encodeReplaceRequest(filter(ports), numEntries));
      memory.fill(0xa5);
      handle(false, IPT_SO_GET_INFO, new Uint8Array(84));
      expect(readTable(core, 'filter')).toMatchObject(filter(ports));
    }
  });

  it('is handed out without bringing the table into use', () => {
    const store = new TableStore();
    expect(store.entriesMemory('nat', 128)).toHaveLength(128);
    expect(store.names()).toEqual([]);
  });
});
