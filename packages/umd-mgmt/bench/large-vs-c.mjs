// Bench section: 1 MiB and 16 MiB round trips through UmdManager (defaults, with replyInto, and
// with glibc's allocator defaults) and the bare channel against a C parent and child over a
// socketpair (@umd/core's bench/pingpong.c), interleaved, each sample after one unmeasured
// round trip of its own row, and where each row's time goes (host CPU, page faults and GC
// pauses, the other side's CPU: row-probe.mjs).
//
// The C baseline of a round is the faster of two C pairs measured in it: one with the kernel's
// default send buffers (what Node's stdio pipes get) and one with the send buffer the manager's
// stdio sockets ask for. With the default buffers a 1 MiB round trip costs three times as much
// or more when the scheduler puts the two C processes on different CPUs as on one (the README's
// "Session 21"), and it picks that per run: one pair's median measured where it was placed. The
// larger buffers lose much less across CPUs; the faster pair of each round is never slower than
// the single pair was.
import { STDIO_SEND_BUFFER } from '@umd/core';
import { UmdManager } from '@umd/mgmt';
import { median, startPingpong, timedRoundTrips } from './large-rows.mjs';
import { RowProbe, processTree } from './row-probe.mjs';

// Targets of the default path (fresh reply buffers, no replyInto) come from the issue on the
// manager's cost; replyInto keeps @umd/core's 1.5x for its transport.
export const LARGE = [
  { size: 1 << 20, label: '1 MiB', count: 50, defaultTarget: 2 },
  { size: 16 << 20, label: '16 MiB', count: 3, defaultTarget: 1.25 },
];
const INTO_TARGET = 1.5;
/**
 * Rounds run before the measured ones: the bench's method before session 27 (15 rounds after one
 * sample of each row), whose ratios each row still reports beside the measured rounds'. On Node
 * 20 a manager's first thousand or so round trips are slower (V8 11 compiles the request path
 * one function at a time: README, "Session 27"), which a long-running host pays once and the
 * steady loop of large-loop.mjs never measures.
 */
const FIRST_ROUNDS = 15;

/**
 * `rounds` interleaved rounds of every row at each size of {@link LARGE}. `bare` is the bare
 * channel's handler (`startBareChannel`). Returns the medians per size and the time split per row.
 */
export async function measureLargeRoundTrips(work, loader, bare, rounds) {
  const pingpong = startPingpong(work);
  const pingpongSocket = startPingpong(work, { sendBuffer: STDIO_SEND_BUFFER });
  const largeDefault = new UmdManager({ name: 'large', loader });
  const largeOptOut = new UmdManager({
    name: 'large-opt-out',
    loader,
    transport: { tuneAllocator: false },
  });
  // Node's stdio pipes instead of the stdio sockets: what the native helper's larger send buffers do.
  const largePipes = new UmdManager({
    name: 'large-pipes',
    loader,
    transport: { stdioSockets: false },
  });
  await largeDefault.start();
  await largeOptOut.start();
  await largePipes.start();
  const probe = new RowProbe();
  const memoryBeforeLarge = process.memoryUsage();
  const otherSide = {
    cDefault: processTree(pingpong.child.pid),
    cSocket: processTree(pingpongSocket.child.pid),
    bare: [bare.pid],
    managerDefault: processTree(largeDefault.pid),
    managerInto: processTree(largeDefault.pid),
    managerOptOut: processTree(largeOptOut.pid),
    managerPipes: processTree(largePipes.pid),
  };
  const large = {};
  for (const { size, label, count, defaultTarget } of LARGE) {
    const payload = new Uint8Array(size).fill(7);
    // One reply buffer for every round trip, as C reuses its own.
    const into = { replyInto: new Uint8Array(size) };
    const through =
      (send) =>
      (n = count) =>
        timedRoundTrips(send, payload, n);
    const rows = {
      cDefault: (n = count) => pingpong.roundTrips(size, n),
      cSocket: (n = count) => pingpongSocket.roundTrips(size, n),
      bare: through((p) => bare.channel.request(p)),
      managerDefault: through((p) => largeDefault.request(p)),
      managerInto: through((p) => largeDefault.request(p, into)),
      managerOptOut: through((p) => largeOptOut.request(p)),
      managerPipes: through((p) => largePipes.request(p)),
    };
    // Warm-up, in the order of earlier versions of this bench.
    for (const key of [
      'cDefault',
      'cSocket',
      'managerDefault',
      'managerOptOut',
      'managerInto',
      'bare',
      'managerPipes',
    ])
      await rows[key]();
    const newRuns = () => Object.fromEntries(Object.keys(rows).map((key) => [key, []]));
    const firstRuns = newRuns();
    const runs = newRuns();
    for (let round = 0; round < FIRST_ROUNDS + rounds; round++) {
      const order = Object.keys(rows);
      if (round % 2 === 1) order.reverse();
      const measured = round >= FIRST_ROUNDS;
      for (const key of order) {
        // One round trip first, not measured: it pays what the row before left (its garbage
        // collected, its memory given back), so that a sample holds its own row's costs only.
        await rows[key](1);
        if (measured)
          runs[key].push(await probe.measure(`${label} ${key}`, otherSide[key], () => rows[key]()));
        else firstRuns[key].push(await rows[key]());
      }
    }
    for (const r of [firstRuns, runs])
      r.c = r.cDefault.map((us, round) => Math.min(us, r.cSocket[round]));
    const cUs = median(runs.c);
    const row = (key) => median(runs[key]);
    const firstRatio = (key) => median(firstRuns[key]) / median(firstRuns.c);
    large[label] = {
      cUs,
      cDefaultUs: row('cDefault'),
      cSocketUs: row('cSocket'),
      bareChannelUs: row('bare'),
      bareChannelRatio: row('bare') / cUs,
      managerDefaultUs: row('managerDefault'),
      managerDefaultRatio: row('managerDefault') / cUs,
      managerIntoUs: row('managerInto'),
      managerIntoRatio: row('managerInto') / cUs,
      managerOptOutUs: row('managerOptOut'),
      managerOptOutRatio: row('managerOptOut') / cUs,
      managerPipesUs: row('managerPipes'),
      managerPipesRatio: row('managerPipes') / cUs,
      defaultTarget,
      intoTarget: INTO_TARGET,
      firstRounds: FIRST_ROUNDS,
      firstRuns,
      firstRoundsRatio: Object.fromEntries(
        ['bare', 'managerDefault', 'managerInto'].map((key) => [key, firstRatio(key)]),
      ),
      rounds,
      roundTripsEach: count,
      runs,
    };
  }
  await largeDefault.stop();
  await largeOptOut.stop();
  await largePipes.stop();
  await pingpong.stop();
  await pingpongSocket.stop();
  // GC entries arrive after a turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  return { large, memoryBeforeLarge, timeSplit: probe.report() };
}
