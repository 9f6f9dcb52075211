// Bench section: 64 B round trips through UmdManager against the bare FramedChannel, same
// handler blob, flags, environment and transport (target: manager <= 10 % slower, in wall time
// and in host CPU per round trip).
import { UmdManager } from '@umd/mgmt';
import { median } from './large-rows.mjs';
import { pinHostAndHandlers } from './placement.mjs';

const payload64 = new Uint8Array(64).fill(7);

/** One batch of `count`: wall-clock and host CPU microseconds per round trip. */
async function roundTrips(send, count) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await send(payload64);
  const wallUs = ((performance.now() - t0) * 1000) / count;
  const cpu = process.cpuUsage(c0);
  return { wallUs, cpuUs: (cpu.user + cpu.system) / count };
}

/** `rounds` batches of `count` round trips on each side; the manager is started and stopped here. */
export async function measureSmallRoundTrips(channel, barePid, loader, rounds, count) {
  const manager = new UmdManager({ name: 'bench', loader });
  await manager.start();
  const pinned = pinHostAndHandlers([barePid, manager.pid]);
  const viaBare = (p) => channel.request(p);
  const viaManager = (p) => manager.request(p);
  for (let i = 0; i < 5; i++) {
    await roundTrips(viaBare, count); // warm-up (JIT) of both paths
    await roundTrips(viaManager, count);
  }
  // Many short batches, alternating A/B then B/A, so load drift on a busy machine hits both
  // sides alike; the headline ratio is the median of the per-pair ratios.
  const bare = [];
  const managed = [];
  const pairRatios = [];
  const cpuPairRatios = [];
  for (let round = 0; round < rounds; round++) {
    let a;
    let b;
    if (round % 2 === 0) {
      a = await roundTrips(viaBare, count);
      b = await roundTrips(viaManager, count);
    } else {
      b = await roundTrips(viaManager, count);
      a = await roundTrips(viaBare, count);
    }
    bare.push(a);
    managed.push(b);
    pairRatios.push(b.wallUs / a.wallUs);
    cpuPairRatios.push(b.cpuUs / a.cpuUs);
  }
  pinned.release();
  await manager.stop();
  const bareUs = bare.map((r) => r.wallUs);
  const managerUs = managed.map((r) => r.wallUs);
  return {
    bareChannelUs: median(bareUs),
    managerUs: median(managerUs),
    ratio: median(pairRatios),
    target: '<= 1.10',
    placement: pinned.placement,
    // The fair measure on a shared machine: CPU time is not stretched by other processes' load.
    hostCpuUs: {
      bareChannel: median(bare.map((r) => r.cpuUs)),
      manager: median(managed.map((r) => r.cpuUs)),
      ratio: median(cpuPairRatios),
      target: '<= 1.10',
    },
    batches: {
      count: rounds,
      roundTripsEach: count,
      bareUs,
      managerUs,
      bareCpuUs: bare.map((r) => r.cpuUs),
      managerCpuUs: managed.map((r) => r.cpuUs),
    },
  };
}
