/**
 * xt extensions bound to their iptables table's name (-j CT --helper in raw, -j CHECKSUM in
 * mangle, -m rpfilter --accept-local): nft_compat passes the nf_tables table's name to the xt
 * module, so bpfilter enforces a table holding one as `ip raw`, `ip mangle`... (marked as its
 * own by the table's comment), as iptables-nft does. Parity with the legacy tables; and the
 * name's other users: an iptables-nft table of that name is never touched (the replace is
 * refused), a replace without such a rule goes back to `bpfilter_<table>` in one transaction,
 * and a restarted service takes over or drops the plainly-named table an earlier one left.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LIBVIRT_CHECKSUM_RULE } from './enforce/clients-forwarding.js';
import { nodeInNetns } from './enforce/netns-script.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { C, F, S } from './enforce/topology.js';
import {
  counted,
  EMPTY_TABLES,
  filterTable,
  mangleTable,
  rawTable,
  savedRules,
  twinPair,
} from './enforce/twin-pair.js';
import type { Twin } from './enforce/twins.js';
import { which } from './iptables/namespace.js';

const missing = enforceSkipReason();

const CT_HELPER = '-A PREROUTING -p tcp -m tcp --dport 80 -j CT --helper ftp';
const COMMENT = 'comment "bpfilter enforcement"';
/** A set whose member C carries the mark 5 (`--map-mark` copies it to C's packets). */
const MARKS = `ipset create marks hash:ip skbinfo; ipset add marks ${C} skbmark 0x5`;

/**
 * A node script: an FTP client's first lines to `host:port` (USER, then PORT naming its own
 * address and port 1025), then resets the connection as peer.mjs's clients do; prints `sent`.
 * (A FIN left peer.mjs's server, which never reads, in CLOSE-WAIT for good, and every later
 * counters read of the file waited tcpSettled's whole 15 s for it.)
 */
const ftpClient = (host: string, port: number) => {
  const address = `${C.replaceAll('.', ',')},4,1`;
  return `const s = require('node:net').connect(${port}, '${host}', () => {
    s.write('USER x\\r\\n');
    setTimeout(() => s.write('PORT ${address}\\r\\n'), 200);
    setTimeout(() => { console.log('sent'); s.resetAndDestroy(); }, 500);
  });
  s.on('error', (e) => console.log(e.code));`;
};

/** F's `ip` nft tables, by name. */
async function tables(twin: Twin): Promise<string[]> {
  const out = await twin.run('F', ['nft', 'list', 'tables', 'ip']);
  return [...out.stdout.matchAll(/^table ip (\S+)$/gm)].map((m) => m[1]!).sort();
}

async function nftTable(twin: Twin, name: string): Promise<string> {
  return (await twin.run('F', ['nft', 'list', 'table', 'ip', name])).stdout;
}

describe.skipIf(missing !== undefined)('table-bound xt extensions under enforcement', () => {
  const pair = twinPair();
  const bpfilterTwin = () => pair.twins[1]!;

  it('-j CT --helper ftp (raw): the helper expects the data connection a PORT command names, in both twins; counted alike', async () => {
    const seen = await pair.bothThenEmpty(rawTable(CT_HELPER), async (twin) => {
      // nf_conntrack_ftp reads a command only after a line in the same direction. The
      // expectation lives as long as the connection's conntrack entry (10 s after the RST).
      const talked = await twin.run('C', [process.execPath, '-e', ftpClient(F, 80)]);
      const expected = await twin.run('F', ['cat', '/proc/net/nf_conntrack_expect']);
      return {
        outcome: talked.stdout.trim(),
        expected: expected.stdout.trim(),
        counters: await savedRules(twin, 'raw'),
        nft: twin.flavour === 'bpfilter' ? await nftTable(twin, 'raw') : '',
        tables: twin.flavour === 'bpfilter' ? await tables(twin) : [],
      };
    });
    const [kernel, enforced] = seen as [(typeof seen)[0], (typeof seen)[0]];
    const expectation = `proto=6 src=${F} dst=${C} sport=0 dport=1025 ftp`;
    expect(kernel).toMatchObject({
      outcome: 'sent',
      expected: expect.stringContaining(expectation),
    });
    expect(enforced).toMatchObject({
      outcome: 'sent',
      expected: expect.stringContaining(expectation),
    });
    expect(enforced.counters).toEqual(kernel.counters);
    // Named as iptables names it, marked as bpfilter's, and no bpfilter_raw beside it.
    expect(enforced.nft).toContain(COMMENT);
    expect(enforced.nft).toMatch(/xt target CT/);
    expect(enforced.nft).toMatch(/type filter hook prerouting priority raw/);
    expect(enforced.tables).toContain('raw');
    expect(enforced.tables).not.toContain('bpfilter_raw');
  }, 120_000);

  it("libvirt's -j CHECKSUM --checksum-fill (mangle): accepted, the datagrams answered and counted alike", async () => {
    // The rule as libvirt writes it, for the datagrams F forwards to S (port 53: peer.mjs).
    const rule = LIBVIRT_CHECKSUM_RULE.replace('-t mangle ', '').replace('68', '53');
    const seen = await pair.bothThenEmpty(mangleTable(rule), async (twin) => ({
      outcome: await twin.probe('C', 'udp', S, 53, 10_000),
      counters: await savedRules(twin, 'mangle'),
      nft: twin.flavour === 'bpfilter' ? await nftTable(twin, 'mangle') : '',
    }));
    const [kernel, enforced] = seen as [(typeof seen)[0], (typeof seen)[0]];
    expect(kernel.outcome).toBe(`reply:${C}`);
    expect(enforced.outcome).toBe(kernel.outcome);
    expect(enforced.counters).toEqual(kernel.counters);
    expect(enforced.counters[0]).toMatch(/^\[1:\d+\] .*-j CHECKSUM --checksum-fill/);
    expect(enforced.nft).toMatch(/xt target CHECKSUM/);
    expect(enforced.nft).toContain(COMMENT);
  }, 60_000);

  it('-m rpfilter --accept-local (raw): the same verdicts and counters', async () => {
    // C's pings come in on fc, the way back to C: not dropped; a ping F sends itself (lo) is
    // accepted by --accept-local.
    const rules = rawTable(
      '-A PREROUTING -m rpfilter --invert --accept-local -j DROP',
      '-A PREROUTING -m rpfilter --accept-local',
    );
    const kernel = await pair.bothAlikeThenEmpty(rules, async (twin) => ({
      fromC: await twin.ping('C', F, 2000),
      local: (await twin.run('F', ['ping', '-n', '-c', '1', '-W', '1', F])).code,
      counters: await savedRules(twin, 'raw'),
    }));
    expect(kernel).toMatchObject({ fromC: 'reply', local: 0 });
  }, 60_000);

  it.skipIf(!which('ipset'))(
    '-j SET --map-set --map-mark (mangle): the mark from the set steers a DROP in both twins',
    async () => {
      for (const twin of pair.twins) {
        const made = await twin.run('F', ['sh', '-ec', MARKS]);
        expect(made.code, made.stderr).toBe(0);
      }
      const rules =
        mangleTable('-A PREROUTING -j SET --map-set marks src --map-mark') +
        filterTable('-A INPUT -p udp -m udp --dport 53 -m mark --mark 0x5 -j DROP');
      try {
        const seen = await pair.bothThenEmpty(rules, async (twin) => ({
          outcomes: [
            await twin.probe('C', 'udp', F, 53),
            await twin.probe('C', 'udp', F, 5353, 10_000),
          ],
          counters: [...(await savedRules(twin, 'mangle')), ...(await counted(twin))],
          nft: twin.flavour === 'bpfilter' ? await nftTable(twin, 'mangle') : '',
        }));
        const [kernel, enforced] = seen as [(typeof seen)[0], (typeof seen)[0]];
        expect(kernel.outcomes).toEqual(['timeout', `reply:${C}`]);
        expect(enforced.outcomes).toEqual(kernel.outcomes);
        expect(enforced.counters).toEqual(kernel.counters);
        // xt_SET takes --map-set only in a table named mangle.
        expect(enforced.nft).toMatch(/xt target SET/);
        expect(enforced.nft).toContain(COMMENT);
      } finally {
        for (const twin of pair.twins) await twin.run('F', ['ipset', 'destroy', 'marks']);
      }
    },
    60_000,
  );

  it("iptables-nft's `ip raw` present: the replace refused, naming the table; that table and the enforced one untouched", async () => {
    const twin = bpfilterTwin();
    const nftIptables = (args: string[]) => twin.run('F', ['iptables-nft', ...args]);
    await pair.both(EMPTY_TABLES, async () => {});
    expect(
      (
        await nftIptables([
          '-t',
          'raw',
          '-A',
          'PREROUTING',
          '-p',
          'udp',
          '--dport',
          '9',
          '-j',
          'DROP',
        ])
      ).code,
    ).toBe(0);
    try {
      const theirs = await nftTable(twin, 'raw');
      const ours = await nftTable(twin, 'bpfilter_raw');
      expect(theirs).not.toContain(COMMENT);
      const out = await twin.restore(rawTable(CT_HELPER));
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain('table "raw"');
      expect(out.stderr).toContain("not bpfilter's");
      expect(await nftTable(twin, 'raw')).toBe(theirs);
      expect(await nftTable(twin, 'bpfilter_raw')).toBe(ours);
      // A raw table nft can say (--notrack) stays bpfilter_raw, beside theirs.
      const notrack = await twin.restore(rawTable('-A PREROUTING -p udp -j CT --notrack'));
      expect(notrack.code, notrack.stderr).toBe(0);
      expect(await nftTable(twin, 'raw')).toBe(theirs);
      expect(await nftTable(twin, 'bpfilter_raw')).toMatch(/notrack/);
    } finally {
      await twin.run('F', ['nft', 'delete', 'table', 'ip', 'raw']);
      await pair.both(EMPTY_TABLES, async () => {});
    }
  }, 60_000);

  it("an `ip raw` made between the service's check of the name and its transaction: the kernel refuses the transaction, theirs and the enforced table untouched", async () => {
    const script = fileURLToPath(new URL('./enforce/plain-race.mjs', import.meta.url));
    const out = JSON.parse(await nodeInNetns(script, [], 60_000));
    // The wrapper made their table right after the check, before the batch was sent.
    expect(out.checked).toBe(true);
    expect(out.error).toMatchObject({ isEnforcementError: true, failure: 'kernel-refused' });
    expect(out.error.message).toContain('table "raw"');
    expect(out.error.message).toContain("not bpfilter's");
    expect(out.after).toBe(`${out.before}table ip raw {\n\tchain theirs {\n\t}\n}\n`);
    expect(out.saved).not.toContain('rpfilter');
  }, 60_000);

  it("iptables-nft's rule in bpfilter's `ip raw`: the next replace is refused, naming the chain, their rule kept; once they delete it, replaced", async () => {
    const twin = bpfilterTwin();
    const theirRule = ['-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9', '-j', 'DROP'];
    try {
      await switchTo(rawTable(CT_HELPER), ['raw']);
      const added = await twin.run('F', ['iptables-nft', ...theirRule]);
      expect(added.code, added.stderr).toBe(0);
      const withTheirs = await nftTable(twin, 'raw');
      expect(withTheirs).toMatch(/udp dport 9 counter packets 0 bytes 0 drop/);
      for (const rules of [rawTable(CT_HELPER, '-A OUTPUT -j CT --notrack'), EMPTY_TABLES]) {
        const out = await twin.restore(rules);
        expect(out.code).not.toBe(0);
        expect(out.stderr).toMatch(
          /"ip raw" holds other rules than bpfilter wrote \(chain PREROUTING: 3 rules, bpfilter wrote 2\)/,
        );
        expect(await nftTable(twin, 'raw')).toBe(withTheirs);
      }
      const deleted = await twin.run('F', [
        'iptables-nft',
        ...theirRule.map((a) => (a === '-A' ? '-D' : a)),
      ]);
      expect(deleted.code, deleted.stderr).toBe(0);
      await switchTo(rawTable(CT_HELPER, '-A OUTPUT -j CT --notrack'), ['raw']);
    } finally {
      await pair.both(EMPTY_TABLES, async () => {});
    }
  }, 60_000);

  /** Restores `rules` into bpfilter's twin: one transaction, after which F has `raws`. */
  async function switchTo(rules: string, raws: string[]): Promise<void> {
    const twin = bpfilterTwin();
    const mark = twin.serviceLog.length;
    const out = await twin.restore(rules);
    expect(out.code, out.stderr).toBe(0);
    // The new name and the old one's deletion went in the one batch of the replace.
    expect(twin.appliedSince(mark)).toEqual(['netlink']);
    expect((await tables(twin)).filter((t) => t.endsWith('raw'))).toEqual(raws);
  }

  it('a replace without the bound rule goes back to bpfilter_raw, and back again, each in one transaction', async () => {
    try {
      await switchTo(rawTable(CT_HELPER), ['raw']);
      await switchTo(rawTable('-A PREROUTING -p udp -j CT --notrack'), ['bpfilter_raw']);
      await switchTo(rawTable(CT_HELPER), ['raw']);
      expect((await savedRules(bpfilterTwin(), 'raw'))[0]).toContain('-j CT --helper ftp');
    } finally {
      await pair.both(EMPTY_TABLES, async () => {});
    }
  }, 60_000);

  it("a restarted service takes over the plainly-named table it left, drops it when its state is gone, and never drops iptables-nft's", async () => {
    const twin = bpfilterTwin();
    try {
      await switchTo(rawTable(CT_HELPER), ['raw']);
      await twin.restartService('SIGTERM');
      expect((await tables(twin)).filter((t) => t.endsWith('raw'))).toEqual(['raw']);
      expect(await nftTable(twin, 'raw')).toContain(COMMENT);
      expect((await savedRules(twin, 'raw'))[0]).toContain('-j CT --helper ftp');
      // Its state gone: what it finds named `raw` with its mark goes, the rest stays.
      await twin.restartService('SIGTERM', async () => {
        await rm(twin.stateFile, { force: true });
        const made = await twin.run('F', ['nft', 'add', 'table', 'ip', 'mangle']);
        expect(made.code, made.stderr).toBe(0);
      });
      const left = await tables(twin);
      expect(left).not.toContain('raw');
      expect(left).toContain('mangle');
    } finally {
      await twin.run('F', ['nft', 'delete', 'table', 'ip', 'mangle']);
      await pair.both(EMPTY_TABLES, async () => {});
    }
  }, 60_000);
});
