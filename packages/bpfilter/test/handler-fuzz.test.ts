import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Errno,
  UMD_CMD_CLASSIFY,
  decodeGetinfo,
  decodeMboxReply,
  decodeReplace,
  encodeGetEntries,
  encodeMboxRequest,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import {
  canonicalRule,
  canonicalTable,
  decodeTable,
  encodeTable,
  type Rule,
  type Table,
} from '../src/model/index.js';
import { getInfo, installTable, readTable, send, tableState } from './handler-core-requests.js';
import { loadVectors } from './vectors/replay.js';

const ERRNOS = new Set<number>(Object.values(Errno));
const replaces = loadVectors('basic.jsonl').flatMap((s) =>
  s.calls.filter((c) => c.opt === 'IPT_SO_SET_REPLACE').map((c) => fromHex(c.hex)),
);

/** Every answer is 0 or a known negative errno; a refusal leaves the table as it was; nothing internal broke. */
function checkReplace(data: Uint8Array): void {
  const log: string[] = [];
  const core = createHandlerCore({ log: (line) => log.push(line) });
  const name =
    data.length >= 6 && new TextDecoder().decode(data.subarray(0, 3)) === 'raw' ? 'raw' : 'filter';
  const before = tableState(core, name);
  const { status, body } = send(core, true, 64, data);
  expect(log.join('\n')).not.toMatch(/internal error/);
  if (status === 0) {
    // Whatever was accepted can be read back and understood as chains, and classified.
    const info = decodeGetinfo(getInfo(core, decodeReplace(data).name).body);
    const entries = send(
      core,
      false,
      65,
      encodeGetEntries(info.name, new Uint8Array(info.size)),
    ).body.subarray(40);
    expect(() => decodeTable(info.name, info, entries)).not.toThrow();
    const hook = info.name === 'raw' ? 'PREROUTING' : 'INPUT';
    const packet = {
      source: '10.0.0.1',
      destination: '10.0.0.2',
      protocol: 'tcp',
      destinationPort: 22,
    };
    const verdict = send(
      core,
      false,
      UMD_CMD_CLASSIFY,
      new TextEncoder().encode(JSON.stringify({ table: info.name, hook, packet })),
    );
    expect([0, -Errno.ENOENT, -Errno.EINVAL]).toContain(verdict.status);
    expect(log.join('\n')).not.toMatch(/internal error/);
    expect(body.length % 16).toBe(0);
  } else {
    expect(status).toBeLessThan(0);
    expect(ERRNOS.has(-status), `errno ${-status}`).toBe(true);
    expect(log.length).toBeGreaterThan(0);
    expect(tableState(core, name)).toBe(before);
  }
}

/** A fresh table's entry count, as num_counters must say. */
function withFreshCounters(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const raw = new TextDecoder().decode(copy.subarray(0, 3)) === 'raw';
  new DataView(copy.buffer).setUint32(84, raw ? 3 : 4, true);
  return copy;
}

/** Installs `table` in a fresh handler and decodes what GET_ENTRIES gives back. */
function replaceAndReadBack(table: Table): Table {
  const core = createHandlerCore();
  installTable(core, table);
  return readTable(core, table.name);
}

/** Chains and rules without counters (a fresh table's counters are the handler's own). */
const strip = (table: Table) =>
  table.chains.map((c) => ({
    name: c.name,
    policy: c.policy,
    rules: c.rules.map(({ counters: _c, ...r }) => r),
  }));

describe('SET_REPLACE fuzzing', () => {
  it('survives random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1200 }), (bytes) => checkReplace(bytes)),
      { numRuns: 300 },
    );
  });

  it('survives random bytes behind a plausible header', () => {
    const header = fc.record({
      size: fc.integer({ min: 0, max: 1200 }),
      entries: fc.integer({ min: 0, max: 12 }),
      hooks: fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 10, maxLength: 10 }),
      body: fc.uint8Array({ minLength: 0, maxLength: 1200 }),
    });
    fc.assert(
      fc.property(header, ({ size, entries, hooks, body }) => {
        const data = new Uint8Array(96 + body.length);
        data.set(new TextEncoder().encode('filter'));
        const view = new DataView(data.buffer);
        view.setUint32(32, 0x0e, true);
        view.setUint32(36, entries, true);
        view.setUint32(40, size, true);
        hooks.forEach((h, i) => view.setUint32(44 + 4 * i, h, true));
        view.setUint32(84, 4, true);
        data.set(body, 96);
        checkReplace(data);
      }),
      { numRuns: 300 },
    );
  });

  it('survives mutations of the tables iptables-legacy sent', () => {
    const mutation = fc.record({
      table: fc.integer({ min: 0, max: replaces.length - 1 }),
      edits: fc.array(
        fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), wide: fc.boolean() }),
        { minLength: 1, maxLength: 6 },
      ),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ table, edits, cut }) => {
        const data = withFreshCounters(replaces[table] ?? new Uint8Array());
        for (const { at, value, wide } of edits) {
          const offset = 32 + (at % (data.length - 32)); // keep the table name
          data[offset] = value;
          if (wide && offset + 1 < data.length) data[offset + 1] = value > 127 ? 0xff : 0;
        }
        checkReplace(
          cut === undefined ? data : data.subarray(0, 96 + (cut % Math.max(1, data.length - 96))),
        );
      }),
      { numRuns: 600 },
    );
  });

  it('survives random requests of every kind', () => {
    const request = fc.record({
      isSet: fc.boolean(),
      cmd: fc.oneof(fc.constantFrom(0, 64, 65, 66, 67, UMD_CMD_CLASSIFY, 0x1002), fc.nat()),
      data: fc.uint8Array({ maxLength: 400 }),
      extraLen: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(request, ({ isSet, cmd, data, extraLen }) => {
        const log: string[] = [];
        const core = createHandlerCore({ log: (line) => log.push(line) });
        const reply = decodeMboxReply(
          core.handle(encodeMboxRequest({ isSet, cmd, data, len: data.length + extraLen })),
        );
        expect(reply).toBeDefined();
        expect(reply!.status === 0 || ERRNOS.has(-reply!.status)).toBe(true);
        expect(log.join('\n')).not.toMatch(/internal error/);
      }),
      { numRuns: 500 },
    );
    expect(decodeMboxReply(createHandlerCore().handle(new Uint8Array(7)))?.status).toBe(
      -Errno.EINVAL,
    );
    // A huge len with a tiny buffer is refused without allocating it.
    const huge = encodeMboxRequest({
      isSet: false,
      cmd: 65,
      data: new Uint8Array(40),
      len: 0xffffffff,
    });
    expect(decodeMboxReply(createHandlerCore().handle(huge))?.status).toBe(-Errno.EINVAL);
  });
});

describe('model tables through SET_REPLACE', () => {
  const port = fc.integer({ min: 0, max: 65535 });
  // Every run also draws the full range, which means "any port" and reads back as no range.
  const range = fc.oneof(
    fc.tuple(port, port).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
    fc.constant<[number, number]>([0, 65535]),
  );
  // Equivalent spellings on purpose (a bare address is /32, 0.0.0.0/0 is "any"): the
  // comparison goes through the canonical form, so no spelling can fail the property.
  const address = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: 255 }), fc.constantFrom(8, 16, 32))
      .map(([a, p]) =>
        p === 8 ? `${a}.0.0.0/8` : p === 16 ? `${a}.${a}.0.0/16` : `${a}.${a}.${a}.${a}/32`,
      ),
    fc.integer({ min: 1, max: 255 }).map((a) => `10.0.0.${a}`),
    fc.constant('0.0.0.0/0'),
  );
  const rule = (chains: string[]): fc.Arbitrary<Rule> =>
    fc
      .record({
        source: fc.option(address, { nil: undefined }),
        inInterface: fc.option(fc.constantFrom('eth0', 'lo', 'wl+'), { nil: undefined }),
        proto: fc.constantFrom(0, 1, 6, 17),
        ports: fc.option(range, { nil: undefined }),
        invertSource: fc.boolean(),
        target: fc.oneof(
          fc.constantFrom('ACCEPT', 'DROP', 'RETURN').map((verdict) => ({
            kind: 'verdict' as const,
            verdict: verdict as 'ACCEPT' | 'DROP' | 'RETURN',
          })),
          ...(chains.length
            ? [fc.constantFrom(...chains).map((chain) => ({ kind: 'jump' as const, chain }))]
            : []),
          fc.constant({ kind: 'log' as const, level: 4, prefix: 'x ', flags: 0 }),
        ),
      })
      .map(
        ({ source, inInterface, proto, ports, invertSource, target }): Rule => ({
          ...(source ? { source, invert: { source: invertSource } } : {}),
          ...(inInterface ? { inInterface } : {}),
          ...(proto ? { protocol: proto } : {}),
          ...(proto === 6 && ports
            ? { matches: [{ kind: 'tcp' as const, destinationPorts: ports }] }
            : {}),
          ...(proto === 17 && ports
            ? { matches: [{ kind: 'udp' as const, sourcePorts: ports }] }
            : {}),
          ...(proto === 1
            ? {
                matches: [{ kind: 'icmp' as const, type: 8, ...(ports ? { code: [0, 255] } : {}) }],
              }
            : {}),
          target,
        }),
      );

  it('accepts every table the model encodes (jumps only forward, so no loops) and reads it back equal', () => {
    const table = fc
      .tuple(
        fc.array(rule(['a', 'b']), { maxLength: 4 }),
        fc.array(rule(['b']), { maxLength: 3 }),
        fc.array(rule([]), { maxLength: 3 }),
        fc.constantFrom('ACCEPT', 'DROP'),
      )
      .map(
        ([input, a, b, policy]): Table => ({
          name: 'filter',
          chains: [
            { name: 'INPUT', policy: policy as 'ACCEPT' | 'DROP', rules: input },
            { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
            { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
            { name: 'a', rules: a },
            { name: 'b', rules: b },
          ],
        }),
      );
    fc.assert(
      fc.property(table, (t) => {
        const back = replaceAndReadBack(t);
        expect(strip(back)).toEqual(strip(canonicalTable(t)));
        // The canonical form means the same bytes, and what decodes is already canonical.
        expect(toHex(encodeTable(canonicalTable(t)).entries)).toBe(toHex(encodeTable(t).entries));
        expect(strip(canonicalTable(back))).toEqual(strip(back));
      }),
      { numRuns: 200 },
    );
  });

  it('reads "any port" back as no range (regression: fast-check seed 126451984)', () => {
    const rule: Rule = {
      protocol: 17,
      matches: [{ kind: 'udp', sourcePorts: [0, 65535] }],
      target: { kind: 'verdict', verdict: 'ACCEPT' },
    };
    const table: Table = {
      name: 'filter',
      chains: [
        { name: 'INPUT', policy: 'ACCEPT', rules: [rule] },
        { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
        { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
      ],
    };
    expect(canonicalRule(rule)).toEqual({ ...rule, matches: [{ kind: 'udp' }] });
    expect(strip(replaceAndReadBack(table))).toEqual(strip(canonicalTable(table)));
  });
});
