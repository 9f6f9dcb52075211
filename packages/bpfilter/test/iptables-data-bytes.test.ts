/**
 * Every data byte of the matches and targets iptables writes, one at a time: tables restored by
 * iptables-legacy-restore, then each byte of each extension's data xor 0xA5 and the table sent
 * back as a SET_REPLACE (`iptables/data-bytes.c`), in a namespace's kernel and through
 * `bpfilter exec`. Each answer must be the kernel's, and an accepted table must read back as
 * the kernel's does: the byte as sent, or zero where it is the extension's own state (past
 * its usersize) or padding.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { missingPrerequisite, runInNamespace, type Step, which } from './iptables/namespace.js';

const missing = missingPrerequisite() ?? (which('cc') ? undefined : 'no C compiler (cc)');

/** Rules of each table, one extension or more each. */
const TABLES: Record<string, string[]> = {
  filter: [
    '-A INPUT -p tcp -m tcp --dport 22 --tcp-flags SYN,ACK SYN -j ACCEPT',
    '-A INPUT -p udp -m udp --sport 53 -j ACCEPT',
    '-A INPUT -m limit --limit 5/sec --limit-burst 3 -j LOG --log-prefix "x " --log-level 4',
    '-A INPUT -p icmp -m icmp --icmp-type 8 -j REJECT --reject-with icmp-host-prohibited',
    '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT',
    '-A INPUT -m mark --mark 0x1/0xff -j MARK --set-xmark 0x2/0xff',
    '-A INPUT -p tcp -m multiport --dports 1,2,3:5 -j ACCEPT',
    '-A INPUT -m addrtype --dst-type LOCAL -j RETURN',
    '-A INPUT -m iprange --src-range 1.1.1.1-1.1.1.5 -j DROP',
    '-A INPUT -m comment --comment hi -m state --state NEW -m connmark --mark 0x1 -j ACCEPT',
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
    '-A FORWARD -m length --length 100:200 -m ttl --ttl-gt 3 -j NFLOG --nflog-group 2',
    '-A OUTPUT -m owner --uid-owner 0 -j NFQUEUE --queue-num 3 --queue-bypass',
    '-A INPUT -m comment --comment hi -j CONNMARK --set-xmark 0x1/0xffffffff',
    '-A INPUT -m recent --name rc2 --rcheck --seconds 10 -j DROP',
    '-A INPUT -j IDLETIMER --timeout 10 --label foo',
    '-A OUTPUT -m cgroup --cgroup 1 -j ACCEPT',
    '-A INPUT -p sctp -m sctp --dport 80 --chunk-types any DATA -j ACCEPT',
    '-A INPUT -p dccp -m dccp --dport 80 --dccp-types REQUEST -j ACCEPT',
    '-A INPUT -p esp -m esp --espspi 5:10 -j ACCEPT',
    '-A INPUT -p ah -m ah --ahspi 5 -j ACCEPT',
    '-A INPUT -p 108 -m ipcomp --ipcompspi 5 -j ACCEPT',
    '-A INPUT -m policy --dir in --pol ipsec --proto esp -j ACCEPT',
    '-A INPUT -p tcp -m socket --transparent -j ACCEPT',
    '-A FORWARD -m physdev --physdev-in eth0 -j ACCEPT',
    '-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT',
    '-A INPUT -m devgroup --src-group 1 -m realm --realm 5 -m cpu --cpu 1 -j ACCEPT',
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0x1 -j ACCEPT',
    '-A INPUT -m connlabel --label 5 -p tcp -m tcpmss --mss 100:200 -j ACCEPT',
    '-A INPUT -p tcp -m tcp --syn -j SYNPROXY --sack-perm --timestamp --mss 1460 --wscale 7',
    '-A INPUT -j AUDIT --type accept',
    '-A INPUT -m conntrack --ctstate NEW --ctproto tcp --ctorigsrc 1.2.3.4 --ctorigdstport 80 --ctexpire 10:20 --ctdir ORIGINAL -j ACCEPT',
    '-A INPUT -m addrtype --src-type LOCAL --limit-iface-in -j ACCEPT',
    '-A OUTPUT -m owner --gid-owner 5 --suppl-groups -j ACCEPT',
  ],
  mangle: [
    '-A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,ct --hmark-mod 10 --hmark-rnd 0x1 --hmark-offset 5',
    '-A PREROUTING -p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp',
    '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove',
    '-A PREROUTING -j CONNSECMARK --save',
    '-A PREROUTING -j TOS --set-tos 0x10/0x3f',
    '-A PREROUTING -j DSCP --set-dscp 0x0a',
    '-A PREROUTING -j TTL --ttl-set 64',
    '-A PREROUTING -p tcp -j TPROXY --on-port 1234 --on-ip 127.0.0.1 --tproxy-mark 0x1/0x1',
    '-A PREROUTING -j TEE --gateway 192.0.2.1',
    '-A POSTROUTING -p udp -j CHECKSUM --checksum-fill',
    '-A POSTROUTING -j CLASSIFY --set-class 0001:0002',
    '-A OUTPUT -m connlimit --connlimit-above 2 --connlimit-mask 32 --connlimit-saddr -j DROP',
    '-A OUTPUT -m quota --quota 1000 -j ACCEPT',
    '-A OUTPUT -m statistic --mode random --probability 0.5 -j ACCEPT',
    '-A OUTPUT -m pkttype --pkt-type unicast -m tos --tos 0x10 -m dscp --dscp 0x0a -j ACCEPT',
    '-A OUTPUT -m string --algo bm --string abc --from 10 --to 100 -j ACCEPT',
    '-A OUTPUT -m time --timestart 08:00 --timestop 17:00 --weekdays Mon,Tue -j ACCEPT',
    '-A OUTPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h1 -j ACCEPT',
    '-A OUTPUT -m helper --helper ftp -j ACCEPT',
    '-A OUTPUT -p tcp -m ecn --ecn-tcp-cwr -m connbytes --connbytes 10:100 --connbytes-dir both --connbytes-mode bytes -j ACCEPT',
  ],
  raw: [
    '-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp',
    '-A PREROUTING -p udp -j CT --zone 5',
    '-A PREROUTING -j CT --notrack',
    '-A OUTPUT -j NOTRACK',
    '-A PREROUTING -m rpfilter --loose --validmark -j ACCEPT',
    '-A OUTPUT -j TRACE',
  ],
  nat: [
    '-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
    '-A PREROUTING -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353',
    '-A PREROUTING -d 10.1.0.0/16 -j NETMAP --to 10.2.0.0/16',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    '-A POSTROUTING -s 10.0.0.0/8 -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1000-2000 --random',
  ],
};

/** Rules whose checks the probes below reach, a table each. */
const PROBED: Record<string, string[]> = {
  filter: [
    '-A INPUT -j CONNMARK --set-xmark 0x1/0xffffffff',
    '-A INPUT -m recent --name rc2 --rcheck --seconds 10 -j DROP',
    '-A INPUT -j IDLETIMER --timeout 10 --label foo',
    '-A OUTPUT -m cgroup --cgroup 1 -j ACCEPT',
    '-A INPUT -p sctp -m sctp --dport 80 --chunk-types any DATA -j ACCEPT',
    '-A INPUT -m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10"',
  ],
  mangle: [
    '-A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,ct --hmark-mod 10 --hmark-rnd 0x1',
    '-A OUTPUT -m string --algo bm --string abc -j ACCEPT',
    '-A OUTPUT -m time --timestart 08:00 --timestop 17:00 -j ACCEPT',
    '-A OUTPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h1 -j ACCEPT',
    '-A OUTPUT -m helper --helper ftp -j ACCEPT',
  ],
};

/** Values around the edges of those checks: [extension, data offset, width, ...values]. */
const PROBES: Record<string, Array<[string, number, number, ...string[]]>> = {
  filter: [
    ['CONNMARK', 12, 1, '1', '2', '255'], // shift direction
    ['CONNMARK', 13, 1, '31', '32'], // shift bits
    ['recent', 4, 4, '65535', '65536', '0xffffffff'], // hit count
    ['IDLETIMER', 32, 1, '1'], // netlink messages
    ['IDLETIMER', 33, 1, '2'], // timer type
    ['cgroup', 2, 1, '1', '2'], // invert path
    ['cgroup', 3, 1, '1', '2'], // invert classid
    ['sctp', 280, 4, '4', '5', '0x80000000'], // chunk flags: a count compared unsigned
    ['sctp', 264, 4, '0', '3', '8', '0xa4'], // chunk match type: any of its 3 bits
    ['u32', 8, 4, '31', '32'], // the first test's >> 22
    ['u32', 20, 1, '1', '2', '3'], // & 0x3C made <<, >>, @
    ['u32', 1980, 1, '11', '12'], // tests
    ['u32', 176, 1, '11', '12'], // locations of the first test
    ['u32', 177, 1, '11', '12'], // values of the first test
  ],
  mangle: [
    ['string', 19, 1, '0x41'], // the algorithm name's last byte
    ['time', 21, 1, '2', '4', '0x80'], // flags
    ['hashlimit', 272, 4, '0x3f', '0x40', '0x7f', '0x80'], // mode
    ['hashlimit', 264, 8, '0', '1', '0x100000000'], // burst
    ['hashlimit', 256, 8, '0', '0xffffffff', '0x10000000000', '0xa50000000000'], // avg
    ['hashlimit', 276, 4, '1048576', '1048577', '0xffffffff'], // size: kept truncated
    ['hashlimit', 280, 4, '1048577'], // max
    ['helper', 33, 1, '0x41'], // the name's last byte: kept as NUL
    ['HMARK', 40, 4, '0x0c', '0x14', '0x24', '0x48', '0x88'], // SPI and ports, masks
  ],
};

describe.skipIf(missing !== undefined)(
  `each data byte of each extension, through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let fixture: CFixture;
    beforeAll(() => {
      fixture = compileFixture('data-bytes', new URL('./iptables/data-bytes.c', import.meta.url), [
        '-Wall',
      ]);
    });
    afterAll(() => fixture?.remove());

    it('is refused or read back as the kernel does', { timeout: 120_000 }, async () => {
      const steps: Step[] = Object.entries(TABLES).flatMap(([table, rules]) => {
        const file = join(fixture.dir, `${table}.rules`);
        writeFileSync(file, `*${table}\n${rules.join('\n')}\nCOMMIT\n`);
        return [
          { program: 'restore' as const, stdinFile: file },
          { program: 'shell' as const, args: ['-c', `${fixture.program} ${table}`] },
        ];
      });
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { freshService: true }),
      ]);
      for (const [i, step] of steps.entries()) {
        const expected = kernel.results[i]!;
        expect(expected.status, `${step.program} ${expected.stderr}`).toBe(0);
        if (step.program === 'restore') continue;
        const lines = (stdout: string) => stdout.trim().split('\n');
        expect(lines(expected.stdout).length).toBeGreaterThan(100);
        expect(lines(bpfilter.results[i]!.stdout)).toEqual(lines(expected.stdout));
      }
      expect(bpfilter.kernelTableNames).toBe('');
    });

    it('answers values at the edges of the checks iptables cannot reach as the kernel does', {
      timeout: 60_000,
    }, async () => {
      const steps: Step[] = Object.entries(PROBED).flatMap(([table, rules]) => {
        const file = join(fixture.dir, `probed-${table}.rules`);
        writeFileSync(file, `*${table}\n${rules.join('\n')}\nCOMMIT\n`);
        return [
          { program: 'restore' as const, stdinFile: file },
          ...PROBES[table]!.map(([name, offset, width, ...values]) => ({
            program: 'shell' as const,
            args: ['-c', [fixture.program, table, name, offset, width, ...values].join(' ')],
          })),
        ];
      });
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { freshService: true }),
      ]);
      const answers = (run: typeof kernel) => run.results.map((r) => r.stdout + r.stderr);
      expect(kernel.results.every((r) => r.status === 0)).toBe(true);
      expect(answers(bpfilter)).toEqual(answers(kernel));
      // The probes reach both sides of each edge.
      const lines = answers(kernel).join('').trim().split('\n');
      expect(lines.filter((l) => l.includes('rc=0')).length).toBeGreaterThan(5);
      expect(lines.filter((l) => !l.includes('rc=0')).length).toBeGreaterThan(10);
    });
  },
);
