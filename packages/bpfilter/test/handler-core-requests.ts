/** Requests to an in-process handler core, as the front end sends them (mbox header + bytes). */
import { expect } from 'vitest';
import {
  decodeGetinfo,
  decodeMboxReply,
  encodeGetEntries,
  encodeGetinfo,
  encodeMboxRequest,
  type IptGetinfo,
  toHex,
  UMD_CMD_CLASSIFY,
} from '../src/abi/index.js';
import type { ClassifyReply } from '../src/handler/classify-command.js';
import type { PacketInput } from '../src/handler/classify/index.js';
import type { HandlerCore } from '../src/handler/core.js';
import { decodeTable, encodeReplaceRequest, type Table } from '../src/model/index.js';

/** Verdict targets of the rules of tables written in tests. */
export const ACCEPT = { kind: 'verdict', verdict: 'ACCEPT' } as const;
export const DROP = { kind: 'verdict', verdict: 'DROP' } as const;
export const RETURN = { kind: 'verdict', verdict: 'RETURN' } as const;

/** One get (`isSet` false) or set of option `cmd` with `data`: the handler's status and body. */
export function send(core: HandlerCore, isSet: boolean, cmd: number, data: Uint8Array) {
  const reply = decodeMboxReply(core.handle(encodeMboxRequest({ isSet, cmd, data })));
  if (!reply) throw new Error('short reply');
  return reply;
}

/** GET_INFO of table `name`: the handler's reply. */
export function getInfo(core: HandlerCore, name: string) {
  const hooks = (): [number, number, number, number, number] => [0, 0, 0, 0, 0];
  const request = { name, validHooks: 0, hookEntry: hooks(), underflow: hooks() };
  return send(core, false, 64, encodeGetinfo({ ...request, numEntries: 0, size: 0 }));
}

/** GET_INFO of table `name`, expected to succeed: the decoded layout. */
export function tableInfo(core: HandlerCore, name: string): IptGetinfo {
  const reply = getInfo(core, name);
  expect(reply.status).toBe(0);
  return decodeGetinfo(reply.body);
}

/** Installs `table` through SET_REPLACE, as a client would, expected to succeed. */
export function installTable(core: HandlerCore, table: Table): void {
  const { numEntries } = tableInfo(core, table.name);
  expect(send(core, true, 64, encodeReplaceRequest(table, numEntries)).status).toBe(0);
}

/** Table `name` read back through GET_INFO + GET_ENTRIES, decoded (counters included). */
export function readTable(core: HandlerCore, name: string): Table {
  const layout = tableInfo(core, name);
  const reply = send(core, false, 65, encodeGetEntries(name, new Uint8Array(layout.size)));
  expect(reply.status).toBe(0);
  return decodeTable(name, layout, reply.body.subarray(40));
}

/**
 * Table `name` as GET_INFO + GET_ENTRIES show it (hex), or GET_INFO's status when it fails:
 * to compare before and after a request.
 */
export function tableState(core: HandlerCore, name: string): string {
  const info = getInfo(core, name);
  if (info.status !== 0) return `status ${info.status}`;
  const { size } = decodeGetinfo(info.body);
  const entries = send(core, false, 65, encodeGetEntries(name, new Uint8Array(size)));
  return `${toHex(info.body)}/${toHex(entries.body)}`;
}

/** CLASSIFY of one packet at `hook` of `table`, expected to succeed: the parsed reply. */
export function classify(
  core: HandlerCore,
  table: string,
  hook: string,
  packet: PacketInput,
): ClassifyReply {
  const reply = send(
    core,
    false,
    UMD_CMD_CLASSIFY,
    new TextEncoder().encode(JSON.stringify({ table, hook, packet })),
  );
  expect(reply.status, new TextDecoder().decode(reply.body)).toBe(0);
  return JSON.parse(new TextDecoder().decode(reply.body)) as ClassifyReply;
}
