/**
 * GET_REVISION_MATCH / _TARGET: the front end answers a query its running handler answered
 * before without asking it again (iptables asks them on every run), and the answers are the
 * handler's, for names it knows and names it does not, and after the handler restarts.
 */
import { BpfilterSockopt } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeGetRevision,
  IPT_SO_GET_REVISION_MATCH,
  IPT_SO_GET_REVISION_TARGET,
  toHex,
} from '../src/abi/index.js';
import { answeringPid, handlerGet, isAlive, killHandler } from './helpers.js';

const live: BpfilterSockopt[] = [];
afterEach(async () => {
  const pids = live.map((s) => s.manager.pid).filter((pid): pid is number => pid !== undefined);
  for (const pid of pids) if (isAlive(pid)) process.kill(-pid, 'SIGCONT');
  await Promise.all(live.splice(0).map((s) => s.stop()));
  for (const pid of pids) expect(isAlive(pid), `handler ${pid} still alive`).toBe(false);
});

function frontEnd() {
  const sockopt = new BpfilterSockopt();
  live.push(sockopt);
  return sockopt;
}

const QUERIES = [IPT_SO_GET_REVISION_MATCH, IPT_SO_GET_REVISION_TARGET].flatMap((optname) =>
  ['tcp', 'udp', 'multiport', 'conntrack', 'set', 'MARK', 'LOG', 'REJECT', 'no-such'].flatMap(
    (name) => [0, 1, 2, 3, 255].map((revision) => ({ optname, name, revision })),
  ),
);

/** The front end's and the handler's answers to every query, as [status, hex] pairs. */
async function answers(sockopt: BpfilterSockopt) {
  const front: unknown[] = [];
  const handler: unknown[] = [];
  for (const { optname, name, revision } of QUERIES) {
    const optval = encodeGetRevision({ name, revision });
    const a = await sockopt.getsockopt(optname, optval);
    const b = await handlerGet(sockopt, optname, optval);
    front.push([name, revision, a.status, toHex(a.data ?? new Uint8Array())]);
    handler.push([name, revision, b.status, toHex(b.data ?? new Uint8Array())]);
  }
  return { front, handler };
}

describe('BpfilterSockopt: revision queries', () => {
  it('answers as the handler does, the first time, again, and after a restart', async () => {
    const sockopt = frontEnd();
    const first = await answers(sockopt);
    expect(first.front).toEqual(first.handler);
    // Known revisions answer 0, unknown ones an errno: both kinds are in the list.
    expect(new Set(first.front.map((a) => (a as number[])[2]! < 0)).size).toBe(2);
    const again = await answers(sockopt);
    expect(again.front).toEqual(first.handler);
    await killHandler(sockopt.manager);
    const restarted = await answers(sockopt);
    expect(restarted.front).toEqual(first.handler);
  });

  it('does not ask the handler again for a query it answered', async () => {
    const sockopt = frontEnd();
    const tcp = encodeGetRevision({ name: 'tcp', revision: 0 });
    const first = await sockopt.getsockopt(IPT_SO_GET_REVISION_MATCH, tcp);
    // A stopped handler (its process group, which it leads) answers nothing: only an answer
    // kept by the front end comes back.
    const pid = answeringPid(sockopt.manager);
    process.kill(-pid, 'SIGSTOP');
    try {
      const again = await sockopt.getsockopt(IPT_SO_GET_REVISION_MATCH, tcp, {
        signal: AbortSignal.timeout(2000),
      });
      expect(again).toEqual(first);
      // A query the handler never answered still goes to it (and waits for the stopped one).
      const other = sockopt.getsockopt(
        IPT_SO_GET_REVISION_MATCH,
        encodeGetRevision({ name: 'udp', revision: 0 }),
        { signal: AbortSignal.timeout(300) },
      );
      await expect(other).rejects.toThrow();
    } finally {
      process.kill(-pid, 'SIGCONT');
    }
  });
});

describe('BpfilterSockopt: answers are the caller’s own bytes', () => {
  it('a kept revision answer stays the handler’s when a caller writes into what it got, Buffer or not', async () => {
    const sockopt = frontEnd();
    for (const wrap of [(b: Uint8Array) => b, (b: Uint8Array) => Buffer.from(b)]) {
      const tcp = wrap(encodeGetRevision({ name: 'tcp', revision: 0 }));
      const first = await sockopt.getsockopt(IPT_SO_GET_REVISION_MATCH, tcp);
      expect(first.status).toBe(0);
      const bytes = toHex(first.data!);
      first.data!.fill(0xee);
      const again = await sockopt.getsockopt(IPT_SO_GET_REVISION_MATCH, tcp);
      expect(toHex(again.data!)).toBe(bytes);
      again.data!.fill(0xdd);
      expect(toHex((await sockopt.getsockopt(IPT_SO_GET_REVISION_MATCH, tcp)).data!)).toBe(bytes);
      // Nor does the answer write into the caller's optval.
      expect(toHex(tcp)).toBe(toHex(encodeGetRevision({ name: 'tcp', revision: 0 })));
    }
  });
});
