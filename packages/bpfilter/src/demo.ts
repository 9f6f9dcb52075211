/**
 * The bpfilter part of the repository demo: rules installed through the iptables ABI path,
 * packets classified, the table printed in iptables-save format, and the handler killed to
 * show that the rules survive it.
 */
import { waitForExit } from '@umd/mgmt';
import { Bpfilter } from './api/bpfilter.js';
import type { ClassifyResult, PacketDescription } from './api/classify-types.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where the demo's lines go. Default: stdout. */
  write?: (line: string) => void;
  /**
   * Stops the demo: the call under way fails with an `UMD_ABORTED` UmdError (or the reason
   * itself between calls), and the demo's handler is stopped before it rejects.
   */
  signal?: AbortSignal;
}

/** The rules the demo installs (iptables-save format). */
export const DEMO_RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ssh - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j LOG --log-prefix "ping "
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ssh
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
-A ssh -s 10.0.0.0/8 -j ACCEPT
-A ssh -j LOG --log-prefix "ssh denied "
-A ssh -j RETURN
COMMIT
`;

const PACKETS: [label: string, packet: PacketDescription][] = [
  [
    'web from the internet',
    {
      source: '203.0.113.5',
      destination: '192.0.2.10',
      protocol: 'tcp',
      sourcePort: 40000,
      destinationPort: 80,
      inInterface: 'eth0',
      tcpFlags: ['SYN'],
    },
  ],
  [
    'ssh from the LAN',
    {
      source: '10.1.2.3',
      destination: '192.0.2.10',
      protocol: 'tcp',
      sourcePort: 40001,
      destinationPort: 22,
      inInterface: 'eth0',
      tcpFlags: ['SYN'],
    },
  ],
  [
    'ssh from the internet',
    {
      source: '198.51.100.7',
      destination: '192.0.2.10',
      protocol: 'tcp',
      sourcePort: 40002,
      destinationPort: 22,
      inInterface: 'eth0',
      tcpFlags: ['SYN'],
    },
  ],
  [
    'ping',
    {
      source: '198.51.100.7',
      destination: '192.0.2.10',
      protocol: 'icmp',
      icmpType: 8,
      icmpCode: 0,
      inInterface: 'eth0',
    },
  ],
  [
    'DNS query',
    {
      source: '198.51.100.7',
      destination: '192.0.2.10',
      protocol: 'udp',
      sourcePort: 5353,
      destinationPort: 53,
      inInterface: 'eth0',
    },
  ],
];

function describe(result: ClassifyResult): string {
  const where =
    result.rule.rule !== undefined
      ? `${result.rule.chain} rule ${result.rule.rule}`
      : `${result.rule.chain} policy`;
  const logs = result.logs.map((log) => ` LOG ${JSON.stringify(log.prefix)}`).join('');
  return `${result.verdict}${result.rejectWith ? ` (${result.rejectWith})` : ''} by ${where}${logs}`;
}

/** Runs the demo with an in-process bpfilter; resolves when the handler is stopped again. */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { signal } = options;
  signal?.throwIfAborted();
  const bpfilter = new Bpfilter();
  try {
    write('bpfilter: installing rules (iptables-restore format -> SET_REPLACE)');
    await bpfilter.restore(DEMO_RULES, { signal });
    for (const [label, packet] of PACKETS) {
      write(
        `  classify ${label.padEnd(22)} -> ${describe(await bpfilter.classify('filter', 'INPUT', packet, { signal }))}`,
      );
    }
    const manager = bpfilter.sockopt?.manager;
    const pid = manager?.pid;
    if (manager !== undefined && pid !== undefined) {
      write(
        `bpfilter: killing the handler (pid ${pid}) with SIGKILL; the next call restores its tables`,
      );
      // Awaited until the manager has seen the exit (it unrefs an idle handler; this waits).
      const exited = waitForExit(manager, pid, { signal });
      process.kill(pid, 'SIGKILL');
      await exited;
    }
    write(
      `  classify ${'ssh from the LAN'.padEnd(22)} -> ${describe(await bpfilter.classify('filter', 'INPUT', PACKETS[1]![1], { signal }))} (handler pid ${bpfilter.sockopt?.manager.pid})`,
    );
    write('bpfilter: the table, as iptables-save prints it (-c: with counters)');
    for (const line of (await bpfilter.save({ counters: true, signal })).trimEnd().split('\n'))
      write(`  ${line}`);
  } finally {
    await bpfilter.stop();
  }
}
