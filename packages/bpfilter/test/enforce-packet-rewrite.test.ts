/**
 * Behaviour parity of the native targets that steer or rewrite a packet (TPROXY,
 * TCPOPTSTRIP, ECN, TOS): the same rules in both twins (legacy tables, and bpfilter
 * enforcing), the same traffic, and what the listener on F or the server S sees of each
 * packet must be the same.
 */
import { describe, expect, it } from 'vitest';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { C, S } from './enforce/topology.js';
import { mangleTable as mangle, savedRules, twinPair } from './enforce/twin-pair.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)(
  'native packet rewriting targets: enforcement as the kernel',
  () => {
    const pair = twinPair();
    const alike = pair.bothAlikeThenEmpty;

    it("TPROXY: a connection to S taken by F's transparent listener, marked; without a listener dropped", async () => {
      // F: the marked packets routed to itself, and a listener with IP_TRANSPARENT (19) on 9999
      // that answers `tproxied` (it exits after 20 s without a connection), listening once its
      // command returns.
      for (const twin of pair.twins) {
        for (const argv of [
          ['ip', 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100'],
          ['ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100'],
          ['/usr/bin/python3', '-c', TRANSPARENT_LISTENER],
        ]) {
          const out = await twin.run('F', argv);
          expect(out.code, out.stderr).toBe(0);
        }
      }
      const rules = mangle(
        '-A PREROUTING -i fc -p tcp -m tcp --dport 80 -j TPROXY --on-port 9999 --tproxy-mark 0x1/0x1',
        '-A PREROUTING -i fc -p tcp -m tcp --dport 8080 -j TPROXY --on-port 9998 --tproxy-mark 0x1/0x1',
      );
      const kernel = await alike(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', S, 80, 10_000),
          await twin.probe('C', 'tcp', S, 8080),
          await twin.probe('C', 'tcp', S, 22, 10_000),
        ],
        mangle: await savedRules(twin, 'mangle'),
      }));
      expect(kernel.outcomes).toEqual(['connected:tproxied', 'timeout', `connected:${C}`]);
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
        const kernel = await alike(rules, async (twin) => ({
          outcomes: [
            await twin.probe('C', 'tcp', S, 80, 10_000),
            await twin.probe('C', 'tcp', S, 8080, 10_000),
          ],
          seen: [
            ...(await twin.run('S', ['nft', 'list', 'table', 'ip', name])).stdout.matchAll(pattern),
          ].map(read),
          mangle: await savedRules(twin, 'mangle'),
        }));
        expect(kernel.outcomes).toEqual([`connected:${C}`, `connected:${C}`]);
        return kernel.seen;
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
        const kernel = await alike(rules, async (twin) => ({
          outcomes: [
            await twin.probe('C', 'udp', S, 53, 10_000),
            await twin.probe('C', 'udp', S, 5353, 10_000),
          ],
          seen: (await twin.run('S', ['iptables-legacy', '-L', 'INPUT', '-v', '-n', '-x'])).stdout
            .split('\n')
            .filter((line) => line.includes('tos match'))
            .map((line) => `${line.trim().split(/\s+/)[0]} ${/0x\w+/.exec(line)?.[0]}`),
          mangle: await savedRules(twin, 'mangle'),
        }));
        expect(kernel.outcomes).toEqual([`reply:${C}`, `reply:${C}`]);
        expect(kernel.seen).toEqual(['1 0x10', '1 0x08']);
      } finally {
        for (const twin of pair.twins) await twin.run('S', ['iptables-legacy', '-F', 'INPUT']);
      }
    }, 60_000);
  },
);

/**
 * A TCP listener with IP_TRANSPARENT on 0.0.0.0:9999: answers `tproxied` to each connection
 * as peer.mjs's servers do, a line and no FIN (the probe's reset ends it), held until exit.
 * The command returns once the socket listens (its child goes on, output to /dev/null): a
 * probe sent before that would meet no listener, and a loaded machine can take seconds to
 * start Python.
 */
const TRANSPARENT_LISTENER = [
  'import os, socket',
  's = socket.socket()',
  's.setsockopt(socket.SOL_IP, 19, 1)',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  "s.bind(('0.0.0.0', 9999))",
  's.listen()',
  'if os.fork(): os._exit(0)',
  'null = os.open(os.devnull, os.O_RDWR)',
  'for fd in (0, 1, 2): os.dup2(null, fd)',
  's.settimeout(20)',
  'held = []',
  'while True:',
  '    c, _ = s.accept()',
  "    c.sendall(b'tproxied\\n')",
  '    held.append(c)',
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
