/**
 * Per-host traffic accounting and shaping marks on a router, keyed by the interface the
 * traffic leaves by, as a hand-written script in the manner of wrtbwmon and ipac-ng writes
 * them (`iptables -A ACCT -s $host -o $wan -m comment --comment "$text"` per host and
 * uplink, no target; `-j MARK --set-mark` per host and interface for tc's fw filter): `fc`
 * and `fs` are the router's interfaces, `ppp0` and `wg0` uplinks that are down (no such
 * device: nothing leaves by them, as when a link drops). Every rule carries a comment of the
 * most xt_comment holds (255 characters), ending in what tells the rules apart.
 */
import { mangleTable } from './save-tables.js';
/** The hosts of each side: C's and S's addresses among 40 of their /24. */
const hosts = (net: string) => Array.from({ length: 40 }, (_, i) => `${net}.${i + 2}`);
const LAN = hosts('10.2.0');
const WAN = hosts('10.1.0');

/** A comment of exactly 255 characters ending in `tail`. */
export function longComment(tail: string): string {
  const head =
    'accounting (bytes and packets per host and link; read by the collector every 60 s, reset monthly): ';
  return `${head}${'.'.repeat(255 - head.length - tail.length)}${tail}`;
}

const counting = (chain: string, match: string, what: string) =>
  `-A ${chain} ${match} -m comment --comment "${longComment(what)}"`;

/** The marks: a host's class on each interface, 0x100 apart, set in mangle's FORWARD. */
const marks = WAN.flatMap((host, i) =>
  ['fs', 'ppp0'].map(
    (dev, d) =>
      `-A SHAPE -s ${host}/32 -o ${dev} -m comment --comment "${longComment(`class ${host} ${dev}`)}" -j MARK --set-xmark 0x${(d * 0x100 + i + 1).toString(16)}/0xffffffff`,
  ),
);

/** Upload per LAN host and uplink; halfway, ipac-ng's rule for every PPP link (`ppp+`). */
const upload = LAN.flatMap((host) =>
  ['fc', 'ppp0', 'wg0'].map((dev) =>
    counting('ACCT', `-s ${host}/32 -o ${dev}`, `up ${host} ${dev}`),
  ),
);
upload.splice(60, 0, counting('ACCT', '-o ppp+', 'up ppp+'));

/**
 * The router's own traffic per interface: its links, a 15-character Docker bridge, a VLAN,
 * and names one character short of or past fc and fs (a key must match the whole name).
 */
const LOCAL = [
  'fc',
  'fs',
  'ppp0',
  'wg0',
  'lo',
  'eth0',
  'eth1',
  'wlan0',
  'f',
  'fc0',
  'fsx',
  'br-9257ae6e34da',
  'eth0.100',
];

/**
 * The router's tables: upload counted per LAN host and uplink (`-s HOST -o fc|ppp0|wg0`),
 * download per host (`-d HOST -o fs`), the router's own traffic per uplink (OUTPUT), and the
 * marks of WAN hosts per interface; a host's class 0x1 on fs (C's) has its UDP 5353 refused.
 */
export const ACCOUNTING = `${mangleTable(':SHAPE - [0:0]', '-A FORWARD -j SHAPE', ...marks)}*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ACCT - [0:0]
:ACCT-LOCAL - [0:0]
-A FORWARD -j ACCT
-A FORWARD -o fs -p udp -m udp --dport 5353 -m mark --mark 0x1 -j REJECT --reject-with icmp-port-unreachable
-A OUTPUT -j ACCT-LOCAL
${upload.join('\n')}
${LAN.map((host) => counting('ACCT', `-d ${host}/32 -o fs`, `down ${host}`)).join('\n')}
${LOCAL.map((dev) => counting('ACCT-LOCAL', `-o ${dev}`, `local ${dev}`)).join('\n')}
COMMIT
`;
