/**
 * SET_REPLACE headers iptables never sends: each field of `ipt_replace` (and the option length)
 * set to values around the kernel's limits, on the fresh filter table's own replace, sent to a
 * namespace's kernel and through `bpfilter exec` (`vectors/kernel-sockopt.c`). Each must get
 * the kernel's answer: its errno, or success with the same table.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/abi/index.js';
import { encodeReplaceRequest } from '../src/model/encode.js';
import { parseSave } from '../src/text/parse-save.js';
import { missingPrerequisite, type NamespaceRun, which } from './iptables/namespace.js';
import {
  FRESH_FILTER_SAVE,
  sockoptAnswers,
  useKernelSockoptReplay,
} from './kernel-sockopt-replay.js';

const missing = missingPrerequisite() ?? (which('cc') ? undefined : 'no C compiler (cc)');

/** The fresh filter table (4 entries) replaced by itself. */
const BASE = encodeReplaceRequest(parseSave(FRESH_FILTER_SAVE)[0]!, 4);
const SIZE = new DataView(BASE.buffer, BASE.byteOffset).getUint32(40, true);

/** Offsets of the u32 fields of `ipt_replace`. */
const FIELD = {
  validHooks: 32,
  numEntries: 36,
  size: 40,
  hookEntry: (hook: number) => 44 + 4 * hook,
  underflow: (hook: number) => 64 + 4 * hook,
  numCounters: 84,
};

const U32_MAX = 0xffff_ffff;
/** Around the kernel's limits: XT_MAX_TABLE_SIZE / 4 entries, XT_MAX_TABLE_SIZE / 16 and INT_MAX / 16 counters. */
const CASES: Array<[name: string, at: number, values: number[]]> = [
  ['num_entries', FIELD.numEntries, [0, 3, 5, 134_217_728, 134_217_729, U32_MAX]],
  ['num_counters', FIELD.numCounters, [0, 3, 5, 33_554_432, 33_554_433, 134_217_727, U32_MAX]],
  ['size', FIELD.size, [0, 8, SIZE - 8, SIZE + 8, U32_MAX]],
  ['valid_hooks', FIELD.validHooks, [0, 0x1f, 0x1e, 0x0f, 0x20, U32_MAX]],
  ['hook_entry[1]', FIELD.hookEntry(1), [4, SIZE, U32_MAX]],
  ['hook_entry[0]', FIELD.hookEntry(0), [0, U32_MAX]],
  ['underflow[2]', FIELD.underflow(2), [0, SIZE - 8, U32_MAX]],
];

function withField(at: number, value: number): Uint8Array {
  const bytes = BASE.slice();
  new DataView(bytes.buffer).setUint32(at, value >>> 0, true);
  return bytes;
}

function withName(name: string): Uint8Array {
  const bytes = BASE.slice();
  bytes.fill(0, 0, 32);
  bytes.set(new TextEncoder().encode(name), 0);
  return bytes;
}

const REQUESTS: Array<{ name: string; bytes: Uint8Array }> = [
  ...CASES.flatMap(([name, at, values]) =>
    values.map((value) => ({ name: `${name} ${value}`, bytes: withField(at, value) })),
  ),
  { name: 'table "nosuch"', bytes: withName('nosuch') },
  { name: 'table ""', bytes: withName('') },
  { name: 'table "nat"', bytes: withName('nat') },
  { name: 'a name of 32 bytes', bytes: withName('filter'.padEnd(32, 'x')) },
  { name: 'one byte short', bytes: BASE.subarray(0, BASE.length - 1) },
  { name: 'the header alone', bytes: BASE.subarray(0, 96) },
  { name: '8 bytes more', bytes: Uint8Array.from([...BASE, 0, 0, 0, 0, 0, 0, 0, 0]) },
];

describe.skipIf(missing !== undefined)(
  `odd ipt_replace headers through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const replay = useKernelSockoptReplay();

    it('answers each as the kernel does', { timeout: 60_000 }, async () => {
      const { kernel, bpfilter } = await replay(
        REQUESTS.map((r) => `set 64 ${toHex(r.bytes)}`),
        [{ program: 'save', args: ['-t', 'filter'] }],
      );
      const answers = (run: NamespaceRun) =>
        sockoptAnswers(run).map(
          ({ rc, errno }, i) => `${REQUESTS[i]?.name}: rc ${rc} errno ${errno}`,
        );
      const expected = answers(kernel);
      expect(expected).toHaveLength(REQUESTS.length);
      expect(answers(bpfilter)).toEqual(expected);
      const table = (save: string) => save.replace(/^#.*\n/gm, '');
      expect(table(bpfilter.results[1]!.stdout)).toBe(table(kernel.results[1]!.stdout));
      expect(bpfilter.kernelTableNames).toBe('');
    });
  },
);
