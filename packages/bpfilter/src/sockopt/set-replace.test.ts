/**
 * A SET_REPLACE of a kept table in enforcement mode, whatever order its concurrent steps end
 * in: the install (which goes first), the early compile, the handler's receipt. A refused
 * install leaves bpfilter and the handler holding the same previous table, so that the next
 * iptables call (GET_INFO answered from the kept table, SET_REPLACE checked by the handler)
 * is not refused with EAGAIN for good.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tableOfReplace } from '../enforce/early-compile.js';
import { EnforcementError } from '../enforce/errors.js';
import type { ReplaceTicket, SockoptEnforcement } from '../enforce/sockopt-enforcement.js';
import { createHandlerCore } from '../handler/core.js';
import { encodeReplaceRequest } from '../model/index.js';
import { parseSave } from '../text/parse-save.js';
import { KeptTables } from './kept-tables.js';
import { type ReplaceContext, setReplace } from './set-replace.js';
import { captureTable, type TableSnapshot } from './table-snapshot.js';

const rules = (...lines: string[]) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
const BLOCK_22 = rules('-A INPUT -p tcp -m tcp --dport 22 -j DROP');
const REFUSED = rules(
  '-A INPUT -p tcp -m tcp --dport 80 -j DROP',
  '-A INPUT -p tcp -m tcp --dport 81 -j DROP',
);
const HEADER = { pid: 1, addr: 0n };

/** The request bytes of the table in `text`, replacing a table of `numCounters` entries. */
const replaceOf = (text: string, numCounters: number) =>
  encodeReplaceRequest(parseSave(text)[0]!, numCounters);

/**
 * An enforcement whose kernel refuses every table after `refuseAfterMs`, and whose early
 * compile ends after `compileMs` (failed, as an untranslatable table's does).
 */
function refusingEnforcement(refuseAfterMs: number, compileMs: number) {
  const refusal = new EnforcementError('untranslatable', 'cannot enforce -m limit', {
    table: 'filter',
  });
  const enforcement = {
    ready: async () => {},
    prepare: (previous: TableSnapshot | undefined, _table: string, request: Uint8Array) =>
      ({
        previous,
        kernelBefore: Promise.resolve(undefined),
        early: {
          table: tableOfReplace(request)!,
          compiled: sleep(compileMs).then(() => undefined),
        },
      }) satisfies ReplaceTicket,
    commit: async () => {
      await sleep(refuseAfterMs);
      throw refusal;
    },
    oldCounters: async (data: Uint8Array) => data.slice(),
  };
  return { refusal, enforcement: enforcement as unknown as SockoptEnforcement };
}

/** A front end's replace context over a handler core in this process, holding BLOCK_22. */
async function keptBlock22(enforcement: SockoptEnforcement) {
  const core = createHandlerCore();
  const send = async (bytes: Uint8Array) => core.handle(bytes);
  const kept = new KeptTables();
  const plain: ReplaceContext = {
    kept,
    enforced: undefined,
    send,
    sendChange: send,
    stopHandler: async () => {},
  };
  const first = await setReplace(
    plain,
    'filter',
    { optval: replaceOf(BLOCK_22, 4), inFrame: false },
    HEADER,
  );
  expect(first.status).toBe(0);
  const enforced = { enforcement, kept, send, stopHandler: plain.stopHandler };
  const context: ReplaceContext = { ...plain, enforced };
  return { context, kept, send };
}

describe('setReplace in enforcement mode: a refused install', () => {
  // The install refused before the early compile ends (so before the receipt is checked), and
  // after: both orders happen, the first on a loaded machine.
  for (const [order, refuseAfterMs, compileMs] of [
    ['before the early compile ends', 0, 30],
    ['after the early compile ends', 30, 0],
  ] as const) {
    it(`${order}: bpfilter and the handler both hold the previous table`, async () => {
      const { refusal, enforcement } = refusingEnforcement(refuseAfterMs, compileMs);
      const { context, kept, send } = await keptBlock22(enforcement);
      const previous = kept.get('filter')!;
      const request = replaceOf(REFUSED, previous.info.numEntries);
      await expect(
        setReplace(context, 'filter', { optval: request, inFrame: false }, HEADER),
      ).rejects.toBe(refusal);
      expect(kept.get('filter')!.info).toEqual(previous.info);
      expect(kept.get('filter')!.entries).toEqual(previous.entries);
      const held = await captureTable(send, 'filter');
      expect(held.info).toEqual(previous.info);
      expect(held.entries).toEqual(previous.entries);
      // And the next replace, sized from the kept table as iptables sizes it, is taken.
      const next = await setReplace(
        { ...context, enforced: undefined },
        'filter',
        { optval: replaceOf(REFUSED, kept.get('filter')!.info.numEntries), inFrame: false },
        HEADER,
      );
      expect(next.status).toBe(0);
    });
  }
});
