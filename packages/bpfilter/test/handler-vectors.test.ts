import { describe, expect, it } from 'vitest';
import {
  decodeMboxReply,
  decodeReplace,
  encodeMboxRequest,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import { OPTION_NUMBERS, loadVectors, type VectorCall } from './vectors/replay.js';

const steps = loadVectors('basic.jsonl');

/** What the caller passed in for a get: the kernel-filled buffer tells us the input fields. */
function getInput(call: VectorCall, kernelBytes: Uint8Array): Uint8Array {
  switch (call.opt) {
    case 'IPT_SO_GET_INFO': {
      // Only the name is input; the rest of the caller's struct is garbage the kernel overwrites.
      const input = new Uint8Array(call.len).fill(0xa5);
      input.set(kernelBytes.subarray(0, 32));
      return input;
    }
    case 'IPT_SO_GET_ENTRIES': {
      // Name, size and padding are input (the kernel leaves them); the entries area was zero.
      const input = new Uint8Array(call.len);
      input.set(kernelBytes.subarray(0, 40));
      return input;
    }
    default:
      return kernelBytes; // GET_REVISION_*: the kernel copies nothing back
  }
}

describe('replay of the iptables-legacy vectors against the handler core', () => {
  it('holds the expected number of exchanges', () => {
    expect(steps.length).toBe(19);
    expect(steps.flatMap((s) => s.calls).length).toBeGreaterThan(60);
  });

  for (const variant of ['full caller buffer', 'get buffers cut to their header'] as const) {
    it(`accepts every set and answers every get with the kernel's bytes (${variant})`, () => {
      const log: string[] = [];
      const core = createHandlerCore({ log: (line) => log.push(line) });
      const tableEntries = new Map<string, number>();
      for (const step of steps) {
        for (const [index, call] of step.calls.entries()) {
          const where = `"${step.iptables}" call ${index} ${call.call} ${call.opt}`;
          const bytes = fromHex(call.hex);
          const cmd = OPTION_NUMBERS[call.opt];
          expect(cmd, where).toBeDefined();
          let data = call.call === 'set' ? bytes : getInput(call, bytes);
          if (variant !== 'full caller buffer' && call.opt === 'IPT_SO_GET_ENTRIES')
            data = data.subarray(0, 40);
          const reply = decodeMboxReply(
            core.handle(
              encodeMboxRequest({
                isSet: call.call === 'set',
                cmd: cmd ?? -1,
                data,
                len: call.len,
                pid: 1234,
                addr: 0x7ffd0000n,
              }),
            ),
          );
          expect(reply, where).toBeDefined();
          const status = call.rc < 0 ? -(call.errno ?? 0) : call.rc;
          expect(reply?.status, `${where}: ${log.join('\n')}`).toBe(status);
          if (
            call.call === 'get' &&
            call.opt !== 'IPT_SO_GET_REVISION_MATCH' &&
            call.opt !== 'IPT_SO_GET_REVISION_TARGET'
          ) {
            expect(toHex(reply?.body ?? new Uint8Array()), where).toBe(call.hex);
          } else if (call.opt === 'IPT_SO_SET_REPLACE') {
            // The old counters: one zero pair per entry of the table being replaced.
            const replace = decodeReplace(bytes);
            const previous = tableEntries.get(replace.name);
            if (previous !== undefined) expect(replace.numCounters, where).toBe(previous);
            expect(reply?.body.length, where).toBe(replace.numCounters * 16);
            expect(
              reply?.body.every((b) => b === 0),
              where,
            ).toBe(true);
            tableEntries.set(replace.name, replace.numEntries);
          } else {
            expect(reply?.body.length, where).toBe(0);
          }
        }
      }
      expect(log).toEqual([]);
    });
  }
});
