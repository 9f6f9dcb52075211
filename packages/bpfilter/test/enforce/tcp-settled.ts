/**
 * Waits until no TCP connection in the twin's namespaces is between states (a handshake or a
 * teardown under way) and no peer server (peer.mjs) still holds a connection, so that a read
 * of the counters comes after every packet of the traffic before it. A probe prints its
 * outcome and resets its connection as it exits; the reset crosses F in the kernel's softirq
 * work, which a loaded machine may leave to ksoftirqd for a while, so the server's end stays
 * ESTAB until F has counted it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
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
const STATE_FILTER = [...PASSING, 'established'].flatMap((state) => ['state', state]);
/** The ports peer.mjs serves TCP on: an ESTAB connection from one of them is a probe's. */
const SERVED = /^ESTAB\s+\d+\s+\d+\s+\S+:(22|80|8080|9000)\s/;

/** Whether an `ss -tanH` line is a connection still under way (see the file's comment). */
function underWay(line: string): boolean {
  return !line.startsWith('ESTAB') || SERVED.test(line);
}

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
    const lines = outs.flatMap((out) => (out.code === 0 ? out.stdout.split('\n') : ['failed']));
    const pending = lines.filter((line) => line.trim() !== '' && underWay(line));
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      // Said aloud: a connection that never settles (a client that closed with a FIN the peer
      // never answers) made every later read of a file wait the whole limit, unnoticed.
      console.warn(`tcpSettled: still under way after ${ms} ms:\n${pending.join('\n')}`);
      return;
    }
    await sleep(25);
  }
}
