import { describe, expect, it } from 'vitest';
import { Errno, fromHex, toHex } from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import { send, tableState } from './handler-core-requests.js';
import { readFileSync } from 'node:fs';

/** One case of validation.jsonl: requests and what a real kernel answered (see capture-validation.mjs). */
interface KernelCase {
  name: string;
  note?: string;
  ops: {
    call: 'get' | 'set';
    opt: number;
    hex: string;
    kernel: { rc: number; errno: number; hex?: string; counters?: string };
  }[];
}
const cases: KernelCase[] = readFileSync(
  new URL('./vectors/validation.jsonl', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as KernelCase);

// Cases where bpfilter is deliberately stricter than the kernel: it reads tables as chains.
const STRICTER = new Set([
  'user chain without its RETURN tail',
  'jump onto a user chain ERROR head',
  'no final ERROR entry',
]);

describe('validation against errnos measured on a real kernel', () => {
  it('has the captured cases', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  for (const c of cases) {
    it(c.name, () => {
      const log: string[] = [];
      const core = createHandlerCore({ log: (line) => log.push(line) });
      for (const op of c.ops) {
        const data = fromHex(op.hex);
        const name = new TextDecoder().decode(data.subarray(0, 32)).replace(/\0.*$/s, '');
        const table = name === 'raw' || name === 'mangle' ? name : 'filter';
        const before = op.call === 'set' ? tableState(core, table) : '';
        const reply = send(core, op.call === 'set', op.opt, data);
        const expected = STRICTER.has(c.name)
          ? -Errno.EINVAL
          : op.kernel.rc < 0
            ? -op.kernel.errno
            : op.kernel.rc;
        expect(reply.status, log.join('\n')).toBe(expected);
        if (reply.status < 0) {
          if (op.opt < 66) expect(log.length, 'a refusal is logged').toBeGreaterThan(0); // a revision answer is not a fault
          expect(reply.body.length).toBe(0);
          if (op.call === 'set')
            expect(tableState(core, table), 'old table untouched').toBe(before);
        } else if (op.call === 'get' && op.kernel.hex) {
          expect(toHex(reply.body)).toBe(op.kernel.hex.slice(0, reply.body.length * 2));
          expect(reply.body.length === 0 || reply.body.length * 2 === op.kernel.hex.length).toBe(
            true,
          );
        } else if (op.kernel.counters !== undefined) {
          expect(toHex(reply.body)).toBe(op.kernel.counters);
        }
      }
    });
  }
});
