/**
 * More real clients (round 2 of clients.ts): Calico, kube-router, Cilium, Tailscale, wg-quick,
 * strongSwan, Docker 28, Podman's netavark, ConfigServer Firewall and a hand-written blocklist
 * that log before they drop, firewalld's iptables back end. Each is installed as the client
 * installs it (one restore, or its sequence of commands), with what the namespaces need beside
 * it (ipsets, addresses, routes), and probes whose outcomes both twins must observe. UDP and
 * echo probes run first: their packets are the same in both twins, so every counter of every
 * table is compared after them. The ipsets of every client come from one builder, ipsets().
 */
import { CALICO, CALICO_NETS } from './clients-calico.js';
import { CILIUM, KUBE_ROUTER, KUBE_ROUTER_IPS } from './clients-cni.js';
import { CSF, DOCKER_28, FIREWALLD, LOGGED_BLOCKLIST, NETAVARK } from './clients-hosts-more.js';
import {
  STRONGSWAN_BASE,
  STRONGSWAN_UP_CLIENT,
  TAILSCALE,
  WG_BASE,
  WG_FULL_TUNNEL,
  WG_POST_UP,
} from './clients-vpn.js';
import { ping, type Probe, tcp, udp } from './scenario-parts.js';
import { C, F, F2, S } from './topology.js';
import type { Node } from './twins.js';

/** One step of an install in F: an `iptables-restore` (with its options) or a command. */
export type Step = { restore: string; args?: string[] } | { command: string };

export interface ClientCase {
  name: string;
  install: Step[];
  /** ipsets made in F before the install, destroyed after. */
  sets?: IpSet[];
  /** Shell run in a namespace of each twin before the install, and what undoes it. */
  setup?: Partial<Record<Node, [up: string, down: string]>>;
  probes: Probe[];
  /** Lines the kernel's `iptables-save -c` must hold after the UDP and echo probes. */
  counted: RegExp[];
  /** What the enforcing twin's `nft list ruleset` must hold: how enforcement wrote it. */
  nft?: RegExp[];
  /**
   * The client's next command after the probes (a ban, a reload), and probes after it whose
   * outcome depends on what the kernel remembered across that replace (rate limits, lists).
   */
  next?: { install: Step[]; probes: Probe[] };
}

/** An ipset a client keeps. */
export interface IpSet {
  name: string;
  type: string;
  members: string[];
}

/** A set's name quoted for `sh` (weave-npc's names hold `;`, `$`, `|` and brackets). */
export const quotedName = (set: IpSet) => `'${set.name}'`;

/** The script that makes `sets` (in F), each with its members. */
export function createSets(sets: IpSet[]): string {
  return sets
    .flatMap((set) => [
      `ipset create ${quotedName(set)} ${set.type}`,
      ...set.members.map((member) => `ipset add ${quotedName(set)} ${member}`),
    ])
    .join('; ');
}

/** The ipsets of `type` named by the keys of `members`, each holding its list. */
export function ipsets(type: string, members: Record<string, string[]>): IpSet[] {
  return Object.entries(members).map(([name, list]) => ({ name, type, members: list }));
}

const SPOOFED = '10.1.0.99';

export const CLIENT_CASES: ClientCase[] = [
  {
    name: 'Calico: marks with masks, ipsets, policy and profile chains, nat outgoing, rpfilter',
    install: [{ restore: CALICO }],
    sets: ipsets('hash:net', CALICO_NETS),
    // The pod sends to F from an address whose route is on fc: the strict RPF check drops it.
    setup: {
      S: [
        `ip addr add ${SPOOFED}/32 dev s0; ip route add ${F}/32 via ${F2} src ${SPOOFED}`,
        `ip route del ${F}/32; ip addr del ${SPOOFED}/32 dev s0`,
      ],
    },
    probes: [
      udp('C', S, 53, 'timeout'),
      udp('S', C, 53, `reply:${F}`),
      udp('S', F2, 53, `reply:${S}`),
      udp('S', F, 53, 'timeout'),
      udp('C', F, 5353, `reply:${C}`),
      ping('C', S, 'timeout'),
      tcp('C', S, 8080, `connected:${C}`),
      tcp('C', S, 9000, 'timeout'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('S', F2, 22, `connected:${S}`),
    ],
    counted: [
      /^\[1:\d+\] -A cali-PREROUTING .* -m rpfilter --validmark --invert -j DROP$/m,
      /^\[1:\d+\] -A cali-nat-outgoing .* -j MASQUERADE --random-fully$/m,
      /^\[2:\d+\] -A cali-tw-fs .* "Drop if no policies passed packet" .* -j DROP$/m,
    ],
    // Natively: xt_rpfilter refuses a table not named raw or mangle (nft_compat).
    nft: [/fib saddr \. mark \. iif oif 0 .*drop/],
  },
  {
    name: 'kube-router: a policy by two ipsets marking 0x10000, NFLOG and REJECT for the rest, 0x20000 accepted',
    install: [{ restore: KUBE_ROUTER }],
    sets: ipsets('hash:ip', KUBE_ROUTER_IPS),
    probes: [
      udp('C', S, 53, 'ECONNREFUSED'),
      ping('C', S, 'Destination Port Unreachable'),
      udp('S', C, 53, `reply:${S}`),
      udp('F', S, 53, `reply:${F2}`),
      udp('S', F2, 53, `reply:${S}`),
      tcp('C', S, 8080, `connected:${C}`),
      tcp('C', S, 9000, 'ECONNREFUSED'),
    ],
    counted: [
      /^\[2:\d+\] -A KUBE-POD-FW-\w+ .* -j NFLOG --nflog-group 100$/m,
      /^\[2:\d+\] -A KUBE-POD-FW-\w+ .* -j REJECT --reject-with icmp-port-unreachable$/m,
      /^\[2:\d+\] -A KUBE-NWPLCY-DEFAULT .* -j MARK --set-xmark 0x10000\/0x10000$/m,
    ],
  },
  {
    name: 'Cilium (legacy iptables): proxy marks, five inverted mark tests, -m socket, masquerade',
    install: [{ restore: CILIUM }],
    probes: [
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      udp('C', F, 53, `reply:${C}`),
      udp('F', S, 53, `reply:${F2}`),
      ping('S', C, 'reply'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 22, `connected:${C}`),
    ],
    counted: [
      /^\[2:\d+\] -A CILIUM_POST_nat .* "cilium masquerade non-cluster" -j MASQUERADE$/m,
      /^\[[1-9]\d*:\d+\] -A CILIUM_OUTPUT .* -j MARK --set-xmark 0xc00\/0xf00$/m,
    ],
  },
  {
    name: 'Tailscale: the tunnel marked 0x40000/0xff0000 and masqueraded by mark, CGNAT sources refused',
    install: [{ restore: TAILSCALE }],
    setup: {
      C: [
        `ip addr add 100.64.0.2/32 dev c0; ip route add ${F2}/32 via ${F} src 100.64.0.2; ip route add 10.2.0.3/32 via ${F} src 100.64.0.2`,
        `ip route del ${F2}/32; ip route del 10.2.0.3/32; ip addr del 100.64.0.2/32 dev c0`,
      ],
      S: ['ip addr add 10.2.0.3/32 dev s0', 'ip addr del 10.2.0.3/32 dev s0'],
      F: ['ip route add 100.64.0.2/32 dev fc', 'ip route del 100.64.0.2/32 dev fc'],
    },
    probes: [
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      udp('C', F2, 53, 'timeout'),
      udp('C', '10.2.0.3', 53, 'timeout'),
      udp('C', F, 5353, `reply:${C}`),
      ping('S', C, 'reply'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 22, `connected:${C}`),
      tcp('C', F2, 22, 'timeout'),
    ],
    counted: [
      /^\[1:\d+\] -A ts-forward -s 100\.64\.0\.0\/10 -o fs -j DROP$/m,
      /^\[1:\d+\] -A ts-input -s 100\.64\.0\.0\/10 ! -i fs -j DROP$/m,
      /^\[2:\d+\] -A ts-postrouting -m mark --mark 0x40000\/0xff0000 -j MASQUERADE$/m,
    ],
  },
  {
    name: 'wg-quick: PostUp commands on a closed FORWARD, the full-tunnel rules through restore -n',
    install: [
      { restore: WG_BASE },
      ...WG_POST_UP.map((command) => ({ command })),
      { restore: WG_FULL_TUNNEL, args: ['-n'] },
    ],
    probes: [
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, 'timeout'),
      udp('C', F2, 53, 'timeout'),
      udp('S', F2, 53, `reply:${S}`),
      udp('C', F, 53, `reply:${C}`),
      ping('S', C, 'reply'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 80, 'timeout'),
    ],
    counted: [
      /^\[1:\d+\] -A PREROUTING -d 10\.2\.0\.1\/32 ! -i fs -m addrtype ! --src-type LOCAL -m comment --comment "wg-quick\(8\) rule for fs" -j DROP$/m,
      /^\[2:\d+\] -A POSTROUTING -o fc -j MASQUERADE$/m,
    ],
  },
  {
    name: "strongSwan: _updown's -m policy rules beside a NAT exempting IPsec traffic (--pol none)",
    install: [
      { restore: STRONGSWAN_BASE },
      ...STRONGSWAN_UP_CLIENT.map((command) => ({ command })),
    ],
    probes: [
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, 'timeout'),
      ping('S', C, 'reply'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 80, 'timeout'),
    ],
    counted: [
      /^\[2:\d+\] -A POSTROUTING -s 10\.2\.0\.0\/24 -o fc -m policy --dir out --pol none -j MASQUERADE$/m,
      /^\[0:0\] -A FORWARD -s 10\.9\.0\.0\/24 -d 10\.2\.0\.0\/24 -i fc -m policy --dir in --pol ipsec --reqid 1 --proto esp -j ACCEPT$/m,
    ],
  },
  {
    name: "Docker 28: DOCKER-FORWARD, -BRIDGE and -CT, published TCP and UDP ports, the raw table's direct-access DROP",
    install: [{ restore: DOCKER_28 }],
    probes: [
      udp('C', F, 7053, `reply:${C}`),
      udp('C', S, 53, 'timeout'),
      udp('S', C, 53, `reply:${F}`),
      ping('S', C, 'reply'),
      tcp('C', F, 7080, `connected:${C}`),
      tcp('C', S, 80, 'timeout'),
      tcp('S', C, 80, `connected:${F}`),
    ],
    counted: [
      /^\[1:\d+\] -A PREROUTING -d 10\.2\.0\.2\/32 ! -i fs -j DROP$/m,
      /^\[1:\d+\] -A DOCKER -d 10\.2\.0\.2\/32 ! -i fs -o fs -p udp -m udp --dport 53 -j ACCEPT$/m,
      /^\[2:\d+\] -A POSTROUTING -s 10\.2\.0\.0\/24 ! -o fs -j MASQUERADE$/m,
    ],
  },
  {
    name: 'Podman (netavark): published ports DNATed, hairpin marked 0x2000/0x2000 and masqueraded',
    install: [{ restore: NETAVARK }],
    probes: [
      udp('C', F, 7053, `reply:${C}`),
      udp('S', F, 7053, `reply:${F2}`),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      udp('F', F, 7053, `reply:${F}`),
      tcp('C', F, 7080, `connected:${C}`),
      tcp('S', F, 7080, `connected:${F2}`),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', F, 7081, 'ECONNREFUSED'),
    ],
    counted: [
      /^\[1:\d+\] -A NETAVARK-HOSTPORT-MASQ .* -j MASQUERADE$/m,
      /^\[1:\d+\] -A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000\/0x2000$/m,
      /^\[3:\d+\] -A NETAVARK-DN-1D8721804F16F -p udp -m udp --dport 7053 -j DNAT/m,
    ],
  },
  {
    name: 'ConfigServer Firewall: a blocklist of 1,000 /32s and /24s, each logged (limited) before its DROP',
    install: [{ restore: CSF }],
    probes: [
      udp('C', F, 53, 'timeout'),
      ping('C', F, 'timeout'),
      udp('S', F2, 53, `reply:${S}`),
      udp('S', F2, 5353, 'timeout'),
      ping('S', F, 'reply'),
      ping('F', S, 'reply'),
      tcp('C', F, 22, 'timeout'),
      tcp('S', F, 22, `connected:${S}`),
      tcp('S', F, 9000, 'timeout'),
    ],
    counted: [
      /^\[2:\d+\] -A DENYIN -s 10\.1\.0\.2\/32 ! -i lo -m limit .* -j LOG --log-prefix "Blocklist DENYIN: "$/m,
      /^\[2:\d+\] -A DENYIN -s 10\.1\.0\.2\/32 ! -i lo -j DROP$/m,
      /^\[1:\d+\] -A LOGDROPIN -p udp -m limit .* -j LOG --log-prefix "Firewall: \*UDP_IN Blocked\* "$/m,
    ],
  },
  {
    name: 'a hand-written blocklist: 1,500 /32s and /24s, each logged with one prefix before its DROP',
    install: [{ restore: LOGGED_BLOCKLIST }],
    probes: [
      udp('C', F, 53, 'timeout'),
      ping('C', F, 'timeout'),
      udp('S', F2, 53, `reply:${S}`),
      ping('S', F2, 'reply'),
      tcp('C', F, 22, 'timeout'),
      tcp('S', F2, 22, `connected:${S}`),
    ],
    counted: [
      /^\[2:\d+\] -A INPUT -s 10\.1\.0\.0\/24 -j LOG --log-prefix "BLOCKED: "$/m,
      /^\[2:\d+\] -A INPUT -s 10\.1\.0\.0\/24 -j DROP$/m,
    ],
    // The LOG rules are counted sets (one log statement each), each element its rule's counter;
    // they stand before the first DROP, so the DROPs are verdict maps, not rules in segments.
    nft: [/ip saddr @cset\d+ log prefix "BLOCKED: "/, /ip saddr vmap @vmap\d+/],
  },
  {
    name: 'firewalld (iptables back end): zones by goto, a direct rule, masquerade, host-prohibited',
    install: [{ restore: FIREWALLD }],
    probes: [
      udp('C', F, 53, 'EHOSTUNREACH'),
      ping('C', F, 'reply'),
      udp('S', F2, 53, `reply:${S}`),
      udp('C', S, 53, `reply:${C}`),
      udp('S', C, 53, `reply:${F}`),
      tcp('C', F, 22, `connected:${C}`),
      tcp('C', F, 80, `connected:${C}`),
      tcp('C', F, 9000, 'ECONNREFUSED'),
      tcp('C', F, 8080, 'EHOSTUNREACH'),
      tcp('S', F, 8080, `connected:${S}`),
    ],
    counted: [
      /^\[1:\d+\] -A INPUT -j REJECT --reject-with icmp-host-prohibited$/m,
      /^\[1:\d+\] -A POST_public_allow ! -o lo -j MASQUERADE$/m,
    ],
  },
];
