/**
 * Waits until no TCP connection in the twin's namespaces is between states (a handshake or a
 * teardown under way), so that a read of the counters comes after every packet of the traffic
 * before it. A probe prints its outcome and exits while its connection is still closing: the
 * peer's FIN and the last ACK cross F a moment later, later still on a loaded machine, and a
 * read between them counts one packet fewer in one twin than in the other.
 */
import type { Output } from './namespace-process.js';

type Run = (node: 'C' | 'F' | 'S', argv: string[]) => Promise<Output>;

/** The states a connection passes through on its way in or out (not LISTEN, ESTAB, TIME-WAIT). */
const PASSING = [
  'syn-sent',
  'syn-recv',
  'fin-wait-1',
  'fin-wait-2',
  'close-wait',
  'last-ack',
  'closing',
];
const STATE_FILTER = PASSING.flatMap((state) => ['state', state]);

/**
 * Polls C, F and S (`ss`) until none holds such a connection, for at most `ms`: on a loaded
 * machine (CI runs the suite on every Node, files in parallel) a peer may wait seconds for a
 * core before it closes its end, and a read before that counts one packet fewer.
 */
export async function tcpSettled(run: Run, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const outs = await Promise.all(
      (['C', 'F', 'S'] as const).map((node) => run(node, ['ss', '-tanH', ...STATE_FILTER])),
    );
    if (outs.every((out) => out.code === 0 && out.stdout.trim() === '')) return;
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
