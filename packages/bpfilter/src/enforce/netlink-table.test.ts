import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Match } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { compileBatch } from './netlink-batch.js';
import { compileTransaction } from './netlink-table.js';
import { layoutTable } from './table-layout.js';
import { planOf, replaceTransaction } from './translate-table.js';

/** Both compilers on the tables of `text`: the old (from nft JSON) and the direct one. */
function both(text: string, extra: (Match | undefined)[] = []) {
  const layouts = parseSave(text).map((t) =>
    layoutTable({
      name: t.name,
      chains: t.chains.map((c) => ({
        ...c,
        rules: c.rules.map((r, i) => {
          const m = extra[i % Math.max(extra.length, 1)];
          return m ? { ...r, matches: [...(r.matches ?? []), m] } : r;
        }),
      })),
    }),
  );
  const run = (f: () => unknown) => {
    try {
      return f();
    } catch {
      // Not compiled (nft's job), or untranslatable: either way, no batch.
      return 'no batch';
    }
  };
  const json = run(() =>
    compileBatch(replaceTransaction(layouts.map(planOf), ['bpfilter_x']).nftables),
  );
  const direct = run(() => compileTransaction(layouts, ['bpfilter_x']));
  return { json, direct };
}

const table = (rules: string[]) =>
  [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':web - [0:0]',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');

describe('the direct netlink writer', () => {
  it('writes the bytes the JSON compiler wrote, on random tables', () => {
    const cidr = fc
      .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 8, 12, 16, 24, 31, 32))
      .map(([a, n]) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${n}`);
    const mask = fc.constantFrom('/255.0.255.0', '/0.0.0.0', '/255.255.255.255');
    const addr = fc.oneof(
      cidr,
      fc.tuple(cidr, mask).map(([c, m]) => c.split('/')[0] + m),
    );
    const not = fc.constantFrom('', '! ');
    const iface = fc.constantFrom('eth0', 'eth1', 'br+', 'veth-a', 'lo', '+', 'abcdefghijklmno');
    const port = fc.constantFrom(0, 1, 22, 80, 65535);
    const ports = fc
      .tuple(port, port)
      .map(([a, b]) => (a === b ? `${a}` : `${Math.min(a, b)}:${Math.max(a, b)}`));
    const l4 = fc.oneof(
      fc.constant(''),
      fc
        .tuple(fc.constantFrom('tcp', 'udp'), not, ports, not, ports)
        .map(([p, n1, s, n2, d]) => `-p ${p} -m ${p} ${n1}--sport ${s} ${n2}--dport ${d}`),
      fc.constantFrom(
        '-p icmp -m icmp --icmp-type 8',
        '-p icmp -m icmp --icmp-type 3/1',
        '-p icmp -m icmp ! --icmp-type 3',
        '-p icmp -m icmp ! --icmp-type 3/1',
        '-p icmp -m icmp --icmp-type any',
        '-p udp',
        '! -p tcp',
        '-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN',
        '-p tcp -m tcp ! --tcp-flags SYN,RST SYN',
        '-p tcp -m tcp',
        '-p udp -m udp',
        '-f',
        '! -f',
      ),
    );
    const target = fc.constantFrom(
      '-j ACCEPT',
      '-j DROP',
      '-j RETURN',
      '-j web',
      '-g web',
      '',
      '-j QUEUE',
      '-j REJECT --reject-with icmp-net-unreachable',
      '-j REJECT --reject-with icmp-admin-prohibited',
      '-j REJECT --reject-with tcp-reset',
    );
    const rule = fc
      .tuple(
        fc.option(fc.tuple(not, addr)),
        fc.option(fc.tuple(not, addr)),
        fc.option(fc.tuple(not, iface)),
        l4,
        target,
        fc.constantFrom('INPUT', 'web'),
      )
      .map(([s, d, i, p, t, c]) =>
        [
          `-A ${c}`,
          s ? `${s[0]}-s ${s[1]}` : '',
          d ? `${d[0]}-d ${d[1]}` : '',
          i ? `${i[0]}-i ${i[1]}` : '',
          p,
          t,
        ]
          .filter((part) => part !== '')
          .join(' '),
      );
    // Exact-key runs: maps and segments.
    const keyed = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom('ACCEPT', 'DROP', 'web', 'RETURN'),
      )
      .map(([kind, i, t]) =>
        kind === 0
          ? `-A INPUT -i eth${i % 3} -p udp -m udp --dport ${100 + i} -j ${t}`
          : kind === 1
            ? `-A INPUT -s 10.0.${i}.1/32 -d 192.0.2.${i}/32 -j ${t}`
            : kind === 2
              ? `-A INPUT -s 10.1.0.${i}/32 -p tcp -m tcp --sport ${i} -j ${t}`
              : `-A INPUT -o veth${i} -j ${t}`,
      );
    /** Raw matches as iptables-legacy encodes them (the text format has only tcp/udp/icmp). */
    const raw = (name: string, revision: number, size: number, fill: [number, number][]): Match => {
      const data = new Uint8Array(size);
      for (const [at, v] of fill) data[at] = v;
      return { kind: 'raw', name, revision, data };
    };
    const extra = fc.constantFrom<Match | undefined>(
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      raw('state', 0, 4, [[0, 6]]),
      raw('conntrack', 3, 168, [
        [146, 1],
        [148, 1],
        [150, 9],
      ]),
      raw('conntrack', 3, 168, [[146, 2]]),
      raw('comment', 0, 256, [[0, 65]]),
      raw('iprange', 1, 68, [
        [0, 10],
        [3, 1],
        [16, 10],
        [19, 9],
        [64, 1],
      ]),
      raw('iprange', 1, 68, [
        [32, 10],
        [35, 1],
        [48, 10],
        [51, 9],
        [64, 0x22],
      ]),
      raw('iprange', 0, 68, []),
      raw('mark', 1, 12, [[0, 1]]),
      raw('limit', 0, 32, []),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(rule, keyed, keyed), { minLength: 0, maxLength: 60 }),
        fc.array(extra, { maxLength: 9 }),
        (rules, extras) => {
          const { json, direct } = both(table(rules), extras);
          expect(direct).toEqual(json);
        },
      ),
      { numRuns: 300 },
    );
  });
});
