/**
 * The counters helper (native/bpfilter_nft_counters.c) against the kernel, in a throwaway
 * namespace after real packets: each chain's name once, then one line per rule of it in order
 * (its counter, or none), then the counted elements of the maps asked for, by comment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enforceSkipReason } from './enforce/prerequisites.js';

const HELPER = fileURLToPath(new URL('../dist/native/bpfilter_nft_counters', import.meta.url));

const missing = enforceSkipReason(() =>
  existsSync(HELPER) ? undefined : 'the counters helper is not built (pnpm build)',
);

const hex = (text: string) => Buffer.from(text).toString('hex');

/** Two echo requests to 127.0.0.1 reach INPUT, and their two replies: 4 packets of 84 bytes. */
const TABLE = `table ip t {
  map m {
    type ipv4_addr : verdict
    counter
    elements = { 127.0.0.1 counter comment "rule 2" : accept, 10.0.0.1 counter comment "rule 3" : drop }
  }
  chain INPUT {
    type filter hook input priority filter; policy accept;
    ip protocol icmp counter
    ip saddr vmap @m
    counter accept
  }
  chain bpfilter-keyed-rule-segment-0-of-INPUT {
    counter
    ip protocol icmp
    counter drop
  }
}`;

describe.skipIf(missing !== undefined)('the counters helper', () => {
  it("names each chain once, then its rules' counters in order, then counted elements", () => {
    const run = spawnSync(
      'unshare',
      [
        '-n',
        'sh',
        '-ec',
        `ip link set lo up; nft -f -; ping -c 2 -s 56 -i 0.2 -W 1 -q 127.0.0.1 >/dev/null; "$0" t m`,
        HELPER,
      ],
      { input: TABLE, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      `c ${hex('INPUT')}`,
      'r 4 336',
      'r - -', // the lookup: no counter of its own
      'r 0 0',
      `c ${hex('bpfilter-keyed-rule-segment-0-of-INPUT')}`,
      'r 0 0',
      'r - -',
      'r 0 0',
      `e ${hex('m')} ${hex('rule 2')} 4 336`, // "rule 3" counted nothing: left out
      '',
    ]);
  });

  it('exits 3 for a table that does not exist', () => {
    const run = spawnSync('unshare', ['-n', HELPER, 'nothing'], { encoding: 'utf8' });
    expect(run.status).toBe(3);
  });
});
