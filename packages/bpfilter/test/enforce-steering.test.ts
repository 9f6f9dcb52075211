/**
 * Behaviour parity of the extensions the netlink batch now writes natively (marks, port
 * lists, address types; MARK, CT --notrack/--zone, NOTRACK, TOS): the same rules in both
 * twins (legacy tables, and bpfilter enforcing), the same traffic, the same outcomes and
 * `iptables-save -c` counters; and bpfilter's tables went over netlink (the service's
 * NODE_DEBUG=bpfilter step lines), a `-m recent` beside `-j CT --notrack` included.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_TABLES } from './enforce/clients.js';
import { counted, filterTable as filter, twinPair } from './enforce/twin-pair.js';
import { missingEnforcePrerequisite, type Twin } from './enforce/twins.js';

const missing = missingEnforcePrerequisite();
if (missing && process.env.CI === 'true')
  throw new Error(`enforcement tests cannot run: ${missing}`);

const C = '10.1.0.2';
const F = '10.1.0.1';
const S = '10.2.0.2';

const table = (name: string, chains: string[], ...rules: string[]) =>
  [`*${name}`, ...chains.map((c) => `:${c} ACCEPT [0:0]`), ...rules, 'COMMIT', ''].join('\n');
const raw = (...rules: string[]) => table('raw', ['PREROUTING', 'OUTPUT'], ...rules);
const mangle = (...rules: string[]) =>
  table('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], ...rules);

/** Each table's rules with their counters (`iptables-save -c -t TABLE`). */
async function saved(twin: Twin, name: string): Promise<string[]> {
  const out = await twin.iptables('iptables-legacy-save', ['-c', '-t', name]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.split('\n').filter((line) => / -A /.test(line));
}

describe.skipIf(missing !== undefined)(
  'native steering extensions: enforcement as the kernel',
  () => {
    const pair = twinPair();
    /** Restores `rules` in both twins, observes each, and empties every table after. */
    const both = async <T>(rules: string, observe: (twin: Twin) => Promise<T>): Promise<T[]> => {
      try {
        return await pair.both(rules, observe);
      } finally {
        await pair.both(EMPTY_TABLES, async () => {});
      }
    };
    const bpfilter = () => pair.twins[1]!;

    it('CT --notrack and NOTRACK (beside -m recent): the flows are UNTRACKED, over netlink', async () => {
      const mark = bpfilter().serviceLog.length;
      const rules =
        raw(
          '-A PREROUTING -i fc -p udp -m udp --dport 53 -m recent --set --name dns --rsource -j CT --notrack',
          '-A PREROUTING -i fc -p udp -m udp --dport 5353 -j NOTRACK',
        ) +
        filter(
          '-A FORWARD -p udp -m conntrack --ctstate UNTRACKED -j ACCEPT',
          '-A FORWARD -p udp -m multiport --dports 53,5353 -j DROP',
        );
      const runs = await both(rules, async (twin) => ({
        dns: await twin.probe('C', 'udp', S, 53, 10_000),
        mdns: await twin.probe('C', 'udp', S, 5353, 10_000),
        recent: (await twin.run('F', ['cat', '/proc/net/xt_recent/dns'])).stdout.split(' ')[0],
        raw: await saved(twin, 'raw'),
        filter: await counted(twin),
      }));
      expect(runs[0]!.dns).toBe(`reply:${C}`);
      expect(runs[0]!.mdns).toBe(`reply:${C}`);
      expect(runs[0]!.recent).toBe(`src=${C}`);
      expect(runs[0]!.filter.join('\n')).toMatch(/^\[2:\d+\] -A FORWARD .*UNTRACKED/m);
      expect(runs[1]).toEqual(runs[0]);
      // raw, then filter (then the tables emptied after).
      expect(bpfilter().appliedSince(mark).slice(0, 2)).toEqual(['netlink', 'netlink']);
    }, 60_000);

    it("wg-quick's tables (-m addrtype, -m mark, CONNMARK): enforced over netlink, as the kernel", async () => {
      const mark = bpfilter().serviceLog.length;
      // What wg-quick(8) restores for a default route through wg0 (here fc stands for it).
      const comment = '-m comment --comment "wg-quick(8) rule for wg0"';
      const rules =
        raw(`-A PREROUTING -d ${F}/32 ! -i fc -m addrtype ! --src-type LOCAL ${comment} -j DROP`) +
        mangle(
          `-A PREROUTING -p udp ${comment} -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff`,
          `-A POSTROUTING -p udp -m mark --mark 0xca6c ${comment} -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff`,
        );
      const runs = await both(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', F, 80, 10_000),
          await twin.probe('S', 'tcp', F, 80),
          await twin.probe('C', 'udp', S, 53, 10_000),
        ],
        raw: await saved(twin, 'raw'),
        mangle: await saved(twin, 'mangle'),
      }));
      expect(runs[0]!.outcomes).toEqual([`connected:${C}`, 'timeout', `reply:${C}`]);
      expect(runs[0]!.raw[0]).toMatch(/^\[[1-9]\d*:\d+\] /);
      expect(runs[1]).toEqual(runs[0]);
      // raw, then mangle: both went over netlink (before, nft -j -f: -m addrtype, -m mark).
      expect(bpfilter().appliedSince(mark).slice(0, 2)).toEqual(['netlink', 'netlink']);
    }, 60_000);

    it('CT --zone: the flow is tracked in its zone (its reply then NEW in zone 0)', async () => {
      const rules =
        raw('-A PREROUTING -i fc -p udp -m udp --dport 5353 -j CT --zone 3') +
        filter('-A FORWARD -p udp -m udp --sport 5353 -m conntrack --ctstate NEW -j DROP');
      const runs = await both(rules, async (twin) => {
        const outcome = await twin.probe('C', 'udp', S, 5353);
        const table = (await twin.run('F', ['cat', '/proc/net/nf_conntrack'])).stdout;
        const zones = table
          .split('\n')
          .filter((line) => line.includes('port=5353'))
          .map((line) => /zone=(\d+)/.exec(line)?.[1] ?? '0')
          .sort();
        return { outcome, zones, filter: await counted(twin) };
      });
      expect(runs[0]).toMatchObject({ outcome: 'timeout', zones: ['0', '3'] });
      expect(runs[1]).toEqual(runs[0]);
    }, 60_000);

    it('MARK and -m mark: a mark set in mangle steers the filter verdict', async () => {
      const rules =
        mangle(
          '-A PREROUTING -i fc -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xff',
          '-A PREROUTING -i fc -p tcp -m tcp --dport 8080 -j MARK --or-mark 0x100',
        ) +
        filter(
          '-A FORWARD -p tcp -m mark --mark 0x1/0xff -j REJECT --reject-with tcp-reset',
          '-A FORWARD -m mark ! --mark 0x0/0x100 -j ACCEPT',
          '-A FORWARD -p tcp -m tcp --dport 22 -j DROP',
        );
      const runs = await both(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', S, 80, 10_000),
          await twin.probe('C', 'tcp', S, 8080, 10_000),
          await twin.probe('C', 'tcp', S, 22),
        ],
        mangle: await saved(twin, 'mangle'),
        filter: await counted(twin),
      }));
      expect(runs[0]!.outcomes).toEqual(['ECONNREFUSED', `connected:${C}`, 'timeout']);
      expect(runs[1]).toEqual(runs[0]);
    }, 60_000);

    it('-m addrtype and -m multiport: local and forwarded ports, sets and single ports', async () => {
      const rules = filter(
        '-A INPUT -p tcp -m addrtype --dst-type LOCAL -m multiport --dports 22,80 -j REJECT --reject-with tcp-reset',
        '-A FORWARD -p tcp -m addrtype ! --dst-type LOCAL,BROADCAST -m multiport --dports 8080,9000:9001 -j DROP',
        '-A FORWARD -p tcp -m multiport ! --dports 1:79 -m addrtype --src-type UNICAST -j ACCEPT',
      );
      const runs = await both(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', F, 22),
          await twin.probe('C', 'tcp', S, 22, 10_000),
          await twin.probe('C', 'tcp', S, 8080),
          await twin.probe('C', 'tcp', S, 9000),
          await twin.probe('C', 'tcp', S, 80, 10_000),
        ],
        filter: await counted(twin),
      }));
      expect(runs[0]!.outcomes).toEqual([
        'ECONNREFUSED',
        `connected:${C}`,
        'timeout',
        'timeout',
        `connected:${C}`,
      ]);
      expect(runs[1]).toEqual(runs[0]);
    }, 60_000);

    it("TPROXY: a connection to S taken by F's transparent listener, marked; without a listener dropped", async () => {
      // F: the marked packets routed to itself, and a listener with IP_TRANSPARENT (19) on 9999
      // that answers `tproxied` (it exits after 20 s without a connection).
      for (const twin of pair.twins) {
        for (const argv of [
          ['ip', 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100'],
          ['ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100'],
          ['sh', '-c', `/usr/bin/python3 -c "${TRANSPARENT_LISTENER}" >/dev/null 2>&1 &`],
        ]) {
          const out = await twin.run('F', argv);
          expect(out.code, out.stderr).toBe(0);
        }
      }
      const rules = mangle(
        '-A PREROUTING -i fc -p tcp -m tcp --dport 80 -j TPROXY --on-port 9999 --tproxy-mark 0x1/0x1',
        '-A PREROUTING -i fc -p tcp -m tcp --dport 8080 -j TPROXY --on-port 9998 --tproxy-mark 0x1/0x1',
      );
      const runs = await both(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', S, 80, 10_000),
          await twin.probe('C', 'tcp', S, 8080),
          await twin.probe('C', 'tcp', S, 22, 10_000),
        ],
        mangle: await saved(twin, 'mangle'),
      }));
      expect(runs[0]!.outcomes).toEqual(['connected:tproxied', 'timeout', `connected:${C}`]);
      expect(runs[1]).toEqual(runs[0]);
    }, 60_000);

    /**
     * C connects to S:80 and S:8080 under `rules` in both twins while S counts the SYNs it
     * gets in its own nft table `name` (`table`). Both connections must succeed (a checksum
     * left wrong would drop them) and both twins see the same; returns what `read` makes of
     * each match of `pattern` in S's listing. S's table is deleted after.
     */
    const synsSeenByS = async (
      name: string,
      table: string,
      rules: string,
      pattern: RegExp,
      read: (m: RegExpMatchArray) => string,
    ) => {
      for (const twin of pair.twins) {
        const out = await twin.run('S', ['nft', '-f', '-'], table);
        expect(out.code, out.stderr).toBe(0);
      }
      try {
        const runs = await both(rules, async (twin) => ({
          outcomes: [
            await twin.probe('C', 'tcp', S, 80, 10_000),
            await twin.probe('C', 'tcp', S, 8080, 10_000),
          ],
          seen: [
            ...(await twin.run('S', ['nft', 'list', 'table', 'ip', name])).stdout.matchAll(pattern),
          ].map(read),
          mangle: await saved(twin, 'mangle'),
        }));
        expect(runs[0]!.outcomes).toEqual([`connected:${C}`, `connected:${C}`]);
        expect(runs[1]).toEqual(runs[0]);
        return runs[0]!.seen;
      } finally {
        for (const twin of pair.twins) await twin.run('S', ['nft', 'delete', 'table', 'ip', name]);
      }
    };

    it('TCPOPTSTRIP: the SYN reaches S without SACK-permitted, the checksum good', async () => {
      const seen = await synsSeenByS(
        'opts',
        SEEN_OPTIONS,
        mangle(
          '-A POSTROUTING -o fs -p tcp -m tcp --dport 80 -j TCPOPTSTRIP --strip-options sack-permitted,timestamp',
        ),
        /dport (\d+) .* (exists|missing) counter packets (\d+)/g,
        (m) => m.slice(1).join(' '),
      );
      expect(seen).toEqual(['80 exists 0', '80 missing 1', '8080 exists 1', '8080 missing 0']);
    }, 60_000);

    it("ECN --ecn-tcp-remove: S gets C's ECN-setup SYN without ECE and CWR, the checksum good", async () => {
      // C asks for ECN in its SYNs (ECE and CWR set).
      for (const twin of pair.twins) {
        const out = await twin.run('C', ['sysctl', '-qw', 'net.ipv4.tcp_ecn=1']);
        expect(out.code, out.stderr).toBe(0);
      }
      const seen = await synsSeenByS(
        'ecnseen',
        SEEN_ECN,
        mangle('-A FORWARD -p tcp -m tcp --dport 80 -j ECN --ecn-tcp-remove'),
        /dport (\d+) .* tcp flags (! )?ecn,cwr counter packets (\d+)/g,
        (m) => `${m[1]} ${m[2] ? 'without' : 'with'} ${m[3]}`,
      );
      expect(seen).toEqual(['80 without 1', '80 with 0', '8080 without 0', '8080 with 1']);
    }, 60_000);

    it('TOS: the byte the server sees (masked and whole), the checksum still good', async () => {
      const rules = mangle(
        '-A POSTROUTING -o fs -p udp -m udp --dport 53 -j TOS --set-tos 0x10/0x3f',
        '-A POSTROUTING -o fs -p udp -m udp --dport 5353 -j TOS --set-tos 0x08',
      );
      // S counts what arrives by its TOS byte (its own legacy table: S is not the firewall).
      for (const twin of pair.twins)
        for (const tos of ['0x10', '0x08']) {
          const args = ['-A', 'INPUT', '-p', 'udp', '-m', 'tos', '--tos', tos];
          const out = await twin.run('S', ['iptables-legacy', ...args]);
          expect(out.code, out.stderr).toBe(0);
        }
      try {
        const runs = await both(rules, async (twin) => ({
          outcomes: [
            await twin.probe('C', 'udp', S, 53, 10_000),
            await twin.probe('C', 'udp', S, 5353, 10_000),
          ],
          seen: (await twin.run('S', ['iptables-legacy', '-L', 'INPUT', '-v', '-n', '-x'])).stdout
            .split('\n')
            .filter((line) => line.includes('tos match'))
            .map((line) => `${line.trim().split(/\s+/)[0]} ${/0x\w+/.exec(line)?.[0]}`),
          mangle: await saved(twin, 'mangle'),
        }));
        expect(runs[0]!.outcomes).toEqual([`reply:${C}`, `reply:${C}`]);
        expect(runs[0]!.seen).toEqual(['1 0x10', '1 0x08']);
        expect(runs[1]).toEqual(runs[0]);
      } finally {
        for (const twin of pair.twins) await twin.run('S', ['iptables-legacy', '-F', 'INPUT']);
      }
    }, 60_000);
  },
);

/** A TCP listener with IP_TRANSPARENT on 0.0.0.0:9999: answers `tproxied` to each connection. */
const TRANSPARENT_LISTENER = [
  'import socket',
  's = socket.socket()',
  's.setsockopt(socket.SOL_IP, 19, 1)',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  "s.bind(('0.0.0.0', 9999))",
  's.listen()',
  's.settimeout(20)',
  'while True:',
  '    c, _ = s.accept()',
  "    c.sendall(b'tproxied')",
  '    c.close()',
].join('\n');

/** An nft table for S: its SYNs to 80 and 8080 counted with and without SACK-permitted. */
const SEEN_OPTIONS = `table ip opts {
  chain in {
    type filter hook input priority 0;
    tcp dport 80 tcp flags syn / syn,ack tcp option sack-perm exists counter
    tcp dport 80 tcp flags syn / syn,ack tcp option sack-perm missing counter
    tcp dport 8080 tcp flags syn / syn,ack tcp option sack-perm exists counter
    tcp dport 8080 tcp flags syn / syn,ack tcp option sack-perm missing counter
  }
}
`;

/** An nft table for S: its SYNs to 80 and 8080 counted by whether ECE or CWR is set. */
const SEEN_ECN = `table ip ecnseen {
  chain in {
    type filter hook input priority 0;
    tcp dport 80 tcp flags & (syn|ack) == syn tcp flags & (ecn|cwr) == 0 counter
    tcp dport 80 tcp flags & (syn|ack) == syn tcp flags & (ecn|cwr) != 0 counter
    tcp dport 8080 tcp flags & (syn|ack) == syn tcp flags & (ecn|cwr) == 0 counter
    tcp dport 8080 tcp flags & (syn|ack) == syn tcp flags & (ecn|cwr) != 0 counter
  }
}
`;
