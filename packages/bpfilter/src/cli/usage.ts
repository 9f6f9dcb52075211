import { SERVICE_USAGE } from '../service/commands.js';

/** `bpfilter --help`. */
export const USAGE = `usage: bpfilter COMMAND [OPTIONS]

Tables (filter, nat, mangle, raw, security) as bpfilter keeps them:
  bpfilter list [-t TABLE] [--json]              the table's chains and rules, with counters
  bpfilter save [-t TABLE] [-c]                  iptables-save format (all tables in use without -t)
  bpfilter restore [-c] [--file FILE]            load iptables-save text (stdin by default)
  bpfilter classify --table filter --hook INPUT --src A.B.C.D --dst A.B.C.D
                    [--proto tcp|udp|icmp|N] [--sport N] [--dport N] [--in IF] [--out IF]
                    [--tcp-flags SYN,ACK] [--icmp-type TYPE[/CODE]|NAME] [--fragment]
                    [--length BYTES] [--if-addr IF=A.B.C.D]... [--json]
                                                  the verdict, the deciding rule, LOG events, counters;
                                                  on nat, the translation a new connection gets
  bpfilter classify --hook INPUT [--table filter] --batch FILE|- [--json]
                                                  many packets in one request: one JSON packet
                                                  description per line; one verdict line each

Where the tables live:
  --socket PATH (or BPFILTER_SOCKET)  use a running 'bpfilter serve' (shared with iptables via 'bpfilter exec')
  --state FILE                        no service: load the tables from FILE and save them back after the command
  neither                             a fresh handler with empty tables, for this one command only

Service:
${SERVICE_USAGE.split('\n')
  .map((line) => `  ${line}`)
  .join('\n')}
`;
