import { describe, expect, it } from 'vitest';
import type { RawMatch, Rule, Table } from '../model/types.js';
import { compileTable } from './compile-table.js';
import { countersOf } from './counters.js';
import { ctAlternatives } from './ct-alternatives.js';
import { EnforcementError } from './errors.js';
import { planTable } from './translate-table.js';
import { encodeTable } from '../model/encode.js';

// xt_conntrack state bits: INVALID, ESTABLISHED, RELATED, NEW, (reply), SNAT, DNAT, UNTRACKED.
const [INVALID, ESTABLISHED, RELATED, NEW, SNAT, DNAT] = [1, 2, 4, 8, 64, 128];
// nft's: ct state invalid 1, established 2, related 4, new 8, untracked 64; ct status snat
// 0x10, dnat 0x20.

/** `-m conntrack [!] --ctstate` (revision 3: xt_conntrack_mtinfo3, flags at 146). */
function ctstate(mask: number, invert = false): RawMatch {
  const data = new Uint8Array(168);
  const view = new DataView(data.buffer);
  view.setUint16(146, 1, true); // XT_CONNTRACK_STATE
  view.setUint16(148, invert ? 1 : 0, true);
  view.setUint16(150, mask, true);
  return { kind: 'raw', name: 'conntrack', revision: 3, data };
}

const limit: RawMatch = {
  kind: 'raw',
  name: 'limit',
  revision: 0,
  data: new Uint8Array([0x10, 0x27, 0, 0, 5, 0, 0, 0, ...new Array(32).fill(0)]),
};

function table(...rules: Rule[]): Table {
  return {
    name: 'filter',
    chains: [
      { name: 'INPUT', policy: 'ACCEPT', rules },
      { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    ],
  };
}

const drop = (matches: RawMatch[]): Rule => ({
  matches,
  target: { kind: 'verdict', verdict: 'DROP' },
});
const ACCEPT: Rule = { target: { kind: 'verdict', verdict: 'ACCEPT' } };

const ruleExprs = (t: Table) =>
  planTable(t)
    .commands.filter((c) => (c.add as { rule?: unknown }).rule)
    .map((c) => (c.add as { rule: { expr: unknown[] } }).rule.expr);

const ct = (key: string, mask: number, op: '==' | '!=') => ({
  match: { op, left: { '&': [{ ct: { key } }, mask] }, right: 0 },
});

describe('--ctstate with SNAT/DNAT', () => {
  it('splits an OR of state and NAT status into rules that no packet matches two of', () => {
    expect(ctAlternatives({ mask: 8, nat: 0, invert: false })).toEqual([
      [{ key: 'state', mask: 8, zero: false }],
    ]);
    expect(ctAlternatives({ mask: 0, nat: 0x20, invert: false })).toEqual([
      [{ key: 'status', mask: 0x20, zero: false }],
    ]);
    expect(ctAlternatives({ mask: 8, nat: 0x30, invert: false })).toEqual([
      [{ key: 'state', mask: 8, zero: false }],
      [
        { key: 'state', mask: 8, zero: true },
        { key: 'status', mask: 0x30, zero: false },
      ],
    ]);
    // Inverted: a packet without a connection (invalid, untracked) has no NAT bit.
    expect(ctAlternatives({ mask: 6, nat: 0x20, invert: true })).toEqual([
      [{ key: 'state', mask: 65, zero: false }],
      [
        { key: 'state', mask: 6, zero: true },
        { key: 'status', mask: 0x20, zero: true },
      ],
    ]);
    expect(ctAlternatives({ mask: 65, nat: 0x10, invert: true })).toEqual([
      [
        { key: 'state', mask: 65, zero: true },
        { key: 'status', mask: 0x10, zero: true },
      ],
    ]);
  });

  it("writes kube-proxy's localnet rule as two nft rules, counted as one entry", () => {
    const t = table(drop([ctstate(RELATED | ESTABLISHED | DNAT, true)]), ACCEPT);
    const rules = ruleExprs(t);
    expect(rules.slice(0, 2)).toEqual([
      [ct('state', 65, '!='), { counter: null }, { drop: null }],
      [ct('state', 6, '=='), ct('status', 0x20, '=='), { counter: null }, { drop: null }],
    ]);
    const plan = planTable(t);
    expect(plan.counted.slice(0, 3)).toEqual([
      { entry: 0, chain: 'INPUT', position: 0, rules: 2 },
      { entry: 1, chain: 'INPUT', position: 2 },
      { entry: 2, chain: 'INPUT', position: 3 },
    ]);
    const c = (packets: number) => ({ packets: BigInt(packets), bytes: BigInt(packets * 60) });
    const counters = countersOf(plan, {
      rules: new Map([['INPUT', [c(1), c(2), c(4), c(8)]]]),
      elements: new Map(),
    });
    expect(counters.slice(0, 3)).toEqual([c(3), c(4), c(8)]);
  });

  it('compiles the split to netlink, with the same counted plan as the nft JSON', () => {
    const t = table(drop([ctstate(NEW | SNAT)]), drop([ctstate(INVALID | DNAT, true)]));
    const encoded = encodeTable(t);
    const input = { name: 'filter', layout: encoded, entries: encoded.entries };
    const viaNetlink = compileTable({ ...input, netlink: true });
    const viaNft = compileTable({ ...input, netlink: false });
    expect(viaNetlink.batch).toBeDefined();
    expect(viaNetlink.plan).toEqual(viaNft.plan);
    expect(viaNft.plan.counted.slice(0, 3).map((c) => [c.position, c.rules])).toEqual([
      [0, 2],
      [2, 2],
      [4, undefined],
    ]);
  });

  it('multiplies two split tests in one rule: four rules, the first one changing fastest', () => {
    const t = table(drop([ctstate(NEW | SNAT), ctstate(ESTABLISHED | DNAT)]), ACCEPT);
    const [newOr, snat] = [
      [ct('state', 8, '!=')],
      [ct('state', 8, '=='), ct('status', 0x10, '!=')],
    ];
    const [estOr, dnat] = [
      [ct('state', 2, '!=')],
      [ct('state', 2, '=='), ct('status', 0x20, '!=')],
    ];
    const tail = [{ counter: null }, { drop: null }];
    expect(ruleExprs(t).slice(0, 4)).toEqual([
      [...newOr, ...estOr, ...tail],
      [...snat, ...estOr, ...tail],
      [...newOr, ...dnat, ...tail],
      [...snat, ...dnat, ...tail],
    ]);
    const encoded = encodeTable(t);
    const input = { name: 'filter', layout: encoded, entries: encoded.entries };
    const viaNetlink = compileTable({ ...input, netlink: true });
    expect(viaNetlink.batch).toBeDefined();
    expect(viaNetlink.plan).toEqual(compileTable({ ...input, netlink: false }).plan);
    expect(viaNetlink.plan.counted[0]).toMatchObject({ position: 0, rules: 4 });
  });

  it('refuses a split beside a stateful match, naming it, in both back ends', () => {
    const t = table(drop([ctstate(ESTABLISHED | DNAT), limit]));
    const refused = (() => {
      try {
        planTable(t);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(EnforcementError);
    expect(refused).toMatchObject({ extension: '-m limit' });
    const encoded = encodeTable(t);
    const input = { name: 'filter', layout: encoded, entries: encoded.entries, netlink: true };
    expect(() => compileTable(input)).toThrow(/-m limit: in a rule split into several nft rules/);
    // One rule (no split): the limit stays.
    expect(ruleExprs(table(drop([ctstate(DNAT), limit])))).toHaveLength(4);
  });

  it('names that rule, not an nft_compat rule before it (which keeps the table off nft JSON)', () => {
    const recent: Rule = {
      matches: [{ kind: 'raw', name: 'recent', revision: 1, data: new Uint8Array(24).fill(1) }],
      target: { kind: 'verdict', verdict: 'DROP' },
    };
    const encoded = encodeTable(table(recent, drop([ctstate(ESTABLISHED | DNAT), limit])));
    const input = { name: 'filter', layout: encoded, entries: encoded.entries, netlink: true };
    expect(() => compileTable(input)).toThrow(
      expect.objectContaining({
        extension: '-m limit',
        message: expect.stringMatching(
          /cannot enforce rule 2 of chain INPUT .*-m limit: in a rule split .*also holds -m recent in rule 1 of chain INPUT/,
        ),
      }),
    );
  });
});
