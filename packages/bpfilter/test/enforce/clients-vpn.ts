/**
 * VPN clients as they install themselves, in the twins' topology (the tunnel is `fs`, the
 * uplink `fc`): Tailscale's ts-* chains (1.7x, iptables mode) and wg-quick, a server's
 * PostUp commands beside the full-tunnel rules wg-quick pipes into `iptables-restore -n`;
 * strongSwan's _updown (leftfirewall=yes) on a gateway whose LAN is behind `fs`.
 */
import { chains } from './scenario-parts.js';

/**
 * Tailscale's tables as `iptables-save` prints them (util/linuxfw's iptables runner):
 * traffic from the tunnel marked 0x40000/0xff0000 in ts-forward and masqueraded by that mark
 * in ts-postrouting; CGNAT sources (100.64.0.0/10) refused from anywhere but the tunnel. The
 * host's own FORWARD policy is DROP (a host that also runs Docker).
 */
export const TAILSCALE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains('ts-forward', 'ts-input')}
-A INPUT -j ts-input
-A FORWARD -j ts-forward
-A ts-forward -i fs -j MARK --set-xmark 0x40000/0xff0000
-A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
-A ts-forward -s 100.64.0.0/10 -o fs -j DROP
-A ts-forward -o fs -j ACCEPT
-A ts-input -s 100.101.102.103/32 -i lo -j ACCEPT
-A ts-input -s 100.115.92.0/23 ! -i fs -j RETURN
-A ts-input -s 100.64.0.0/10 ! -i fs -j DROP
-A ts-input -i fs -j ACCEPT
-A ts-input -p udp -m udp --dport 41641 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ts-postrouting - [0:0]
-A POSTROUTING -j ts-postrouting
-A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE
COMMIT
`;

/** A server's saved rules before wg-quick: FORWARD closed. */
export const WG_BASE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

/** The PostUp line of a wg-quick server config, one iptables command each (wg0 = fs). */
export const WG_POST_UP = [
  '-A FORWARD -i fs -j ACCEPT',
  '-A FORWARD -o fs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-t nat -A POSTROUTING -o fc -j MASQUERADE',
];

/**
 * What wg-quick (add_default, AllowedIPs 0.0.0.0/0, no nft) pipes into `iptables-restore -n`
 * for a tunnel address 10.2.0.1 on fs: inserted rules, the target before its comment.
 */
export const WG_FULL_TUNNEL = `*raw
-I PREROUTING ! -i fs -d 10.2.0.1 -m addrtype ! --src-type LOCAL -j DROP -m comment --comment "wg-quick(8) rule for fs"
COMMIT
*mangle
-I POSTROUTING -m mark --mark 51820 -p udp -j CONNMARK --save-mark -m comment --comment "wg-quick(8) rule for fs"
-I PREROUTING -p udp -j CONNMARK --restore-mark -m comment --comment "wg-quick(8) rule for fs"
COMMIT
`;

/**
 * A strongSwan gateway's own rules (the LAN 10.2.0.0/24 behind fs forwarded out fc,
 * masqueraded unless its traffic goes into an IPsec tunnel, as the road-warrior guides
 * write it), then what _updown's up-client runs for a tunnel to 10.9.0.0/24 (reqid 1):
 * `iptables -I FORWARD 1` of both directions, matched by `-m policy`.
 */
export const STRONGSWAN_BASE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i fs -o fc -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 10.2.0.0/24 -d 10.9.0.0/24 -m policy --dir out --pol ipsec -j ACCEPT
-A POSTROUTING -s 10.2.0.0/24 -o fc -m policy --dir out --pol none -j MASQUERADE
COMMIT
`;

/** _updown's up-client for the tunnel (PLUTO_INTERFACE fc, protocol all, reqid 1). */
export const STRONGSWAN_UP_CLIENT = [
  '-I FORWARD 1 -o fc -p all -s 10.2.0.0/24 -d 10.9.0.0/24 -m policy --dir out --pol ipsec --reqid 1 --proto esp -j ACCEPT',
  '-I FORWARD 1 -i fc -p all -s 10.9.0.0/24 -d 10.2.0.0/24 -m policy --dir in --pol ipsec --reqid 1 --proto esp -j ACCEPT',
];
