import { describe, expect, it } from 'vitest';
import { parseSave } from '../text/parse-save.js';
import { encodeCounters } from '../abi/index.js';
import { addToCounters, countersOf, ZERO_COUNTERS } from './counters.js';
import { readingFromHelper, readingFromListing } from './nft-counters.js';
import type { NftListing } from './nft-runner.js';
import { planTable } from './translate-table.js';

const hex = (text: string) => Buffer.from(text).toString('hex');

/** INPUT: rule 1 plain, rules 2-9 one map, then the policy. */
const plan = () => {
  const lines = ['-A INPUT -p icmp -j ACCEPT'];
  for (let i = 1; i <= 8; i++) lines.push(`-A INPUT -s 10.0.0.${i} -p tcp --dport 22 -j DROP`);
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  const [table] = parseSave(text);
  return planTable({ name: 'filter', chains: table!.chains });
};

describe('reading enforced counters back', () => {
  it('maps rule counters by position and map elements by comment to entries', () => {
    const p = plan();
    expect(p.maps).toEqual(['vmap0']);
    const helperOutput = [
      `c ${hex('INPUT')}`,
      'r 5 420',
      'r - -', // the map lookup: no counter of its own
      'r 7 700',
      `c ${hex('FORWARD')}`,
      'r 1 10',
      `c ${hex('OUTPUT')}`,
      'r 2 20',
      `e ${hex('vmap0')} ${hex('rule 3')} 3 180`,
      `e ${hex('vmap0')} ${hex('rule 9')} 1 60`,
      '',
    ].join('\n');
    const counters = countersOf(p, readingFromHelper(helperOutput));
    const packets = counters.map((c) => Number(c.packets));
    // Entries: INPUT rules 0-8, INPUT policy 9, FORWARD policy 10, OUTPUT policy 11, ERROR 12.
    expect(packets).toEqual([5, 0, 3, 0, 0, 0, 0, 0, 1, 7, 1, 2, 0]);
    expect(counters[2]!.bytes).toBe(180n);
  });

  it("reads nft's JSON listing the same way (without the helper)", () => {
    const counter = (packets: number) => ({ counter: { packets, bytes: packets * 60 } });
    const listing: NftListing = {
      nftables: [
        { table: { name: 'bpfilter_filter' } },
        {
          map: {
            name: 'vmap0',
            elem: [
              [
                { elem: { val: { concat: ['10.0.0.2', 22] }, comment: 'rule 3', ...counter(3) } },
                { drop: null },
              ],
              [
                { elem: { val: { concat: ['10.0.0.1', 22] }, comment: 'rule 2', ...counter(0) } },
                { drop: null },
              ],
            ],
          },
        },
        { rule: { chain: 'INPUT', expr: [counter(5), { accept: null }] } },
        { rule: { chain: 'INPUT', expr: [{ vmap: {} }] } },
        { rule: { chain: 'INPUT', expr: [counter(7), { accept: null }] } },
      ],
    };
    const packets = countersOf(plan(), readingFromListing(listing)).map((c) => Number(c.packets));
    expect(packets).toEqual([5, 0, 3, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
  });

  it("reads a counted set's elements from nft's JSON listing (keys without data)", () => {
    const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${Array.from(
      { length: 8 },
      (_, i) => `-A INPUT -s 10.0.0.${i + 1}`,
    ).join('\n')}\nCOMMIT\n`;
    const p = planTable({ name: 'filter', chains: parseSave(text)[0]!.chains });
    expect(p.maps).toEqual(['cset0']);
    const listing: NftListing = {
      nftables: [
        {
          set: {
            name: 'cset0',
            elem: [
              { elem: { val: '10.0.0.4', comment: 'rule 4', counter: { packets: 2, bytes: 9 } } },
              { elem: { val: '10.0.0.1', comment: 'rule 1', counter: { packets: 1, bytes: 3 } } },
            ],
          },
        },
        { rule: { chain: 'INPUT', expr: [{ match: {} }] } },
        { rule: { chain: 'INPUT', expr: [{ counter: { packets: 6, bytes: 1 } }] } },
      ],
    };
    const packets = countersOf(p, readingFromListing(listing)).map((c) => Number(c.packets));
    expect(packets).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 6, 0, 0, 0]);
  });

  it('reads u64 counters exactly and skips lines of a kind or form it does not know', () => {
    const big = 2n ** 64n - 1n;
    const reading = readingFromHelper(
      [
        `c ${hex('INPUT')}`,
        `r ${big} ${2n ** 53n + 1n}`,
        'r 0 0',
        'r 1 2 3', // a word too many
        `c ${hex('INPUT')} 1`, // a word too many: not a chain (the rules after stay INPUT's)
        `e ${hex('vmap0')} ${hex('rule 3')} 4 5 6`,
        `e ${hex('vmap0')} ${hex('rule 4')} 4`,
        `x ${hex('INPUT')} 1 2`,
        `e ${hex('vmap0')} ${hex('rule 5')} 9007199254740993 7`,
      ].join('\n'),
    );
    expect(reading.rules.get('INPUT')).toEqual([
      { packets: big, bytes: 2n ** 53n + 1n },
      { packets: 0n, bytes: 0n },
    ]);
    expect([...reading.elements.get('vmap0')!]).toEqual([
      ['rule 5', { packets: 9007199254740993n, bytes: 7n }],
    ]);
  });

  it("reads each chain's name once: the rule lines after it are that chain's, in order", () => {
    const reading = readingFromHelper(
      [
        'r 9 9', // before any chain: whose rule it is is not known
        `c ${hex('INPUT')}`,
        'r 1 60',
        'r - -',
        `c ${hex('bpfilter-keyed-rule-segment-0-of-INPUT')}`,
        'r 2 120',
        `c ${hex('INPUT')}`, // a chain met again goes on where it was
        'r 3 180',
        '',
      ].join('\n'),
    );
    expect([...reading.rules]).toEqual([
      ['INPUT', [{ packets: 1n, bytes: 60n }, ZERO_COUNTERS, { packets: 3n, bytes: 180n }]],
      ['bpfilter-keyed-rule-segment-0-of-INPUT', [{ packets: 2n, bytes: 120n }]],
    ]);
  });

  it("adds the kernel's counters to a replace's old counters in place, u64 wrapping", () => {
    const max = 2n ** 64n - 1n;
    const old = encodeCounters([
      { packets: 1n, bytes: 2n },
      { packets: max, bytes: 10n },
      { packets: 3n, bytes: 4n },
    ]);
    addToCounters(old, [ZERO_COUNTERS, { packets: 2n, bytes: 5n }]);
    const view = new DataView(old.buffer);
    const read = (i: number) => [
      view.getBigUint64(i * 16, true),
      view.getBigUint64(i * 16 + 8, true),
    ];
    // The first unchanged, the second wrapped, the third past the kernel's counters as it was.
    expect([read(0), read(1), read(2)]).toEqual([
      [1n, 2n],
      [1n, 15n],
      [3n, 4n],
    ]);
  });
});
