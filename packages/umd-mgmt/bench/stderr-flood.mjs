// Bench section: a well-behaved manager's 64 B round trips per second alone, and beside a
// manager in the same host whose handler floods stderr (a 'stderr' listener attached), in
// alternating windows of one run. Target: beside >= 0.5x alone.
import { UmdManager } from '@umd/mgmt';
import { median } from './large-rows.mjs';

const WINDOW_MS = Number(process.env.BENCH_FLOOD_WINDOW_MS ?? 500);
const ROUNDS = Number(process.env.BENCH_FLOOD_ROUNDS ?? 7);

async function requestsPerSecond(m) {
  const payload = new Uint8Array(64).fill(7);
  let count = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < WINDOW_MS) {
    await m.request(payload);
    count++;
  }
  return (count * 1000) / (performance.now() - t0);
}

/** Runs the section; `loader` is the well-behaved handler, `floodLoader` the flooding one. */
export async function stderrFloodBeside(loader, floodLoader) {
  const good = new UmdManager({ name: 'well-behaved', loader: async () => loader });
  await good.request(new Uint8Array(64));
  const alone = [];
  const beside = [];
  let events = 0;
  let dropped = 0;
  for (let round = 0; round < ROUNDS; round++) {
    alone.push(await requestsPerSecond(good));
    const flood = new UmdManager({ name: 'flood', loader: async () => floodLoader });
    flood.on('stderr', () => events++);
    await flood.start();
    beside.push(await requestsPerSecond(good));
    dropped += flood.stats().stderrLinesDropped;
    await flood.stop({ graceMs: 50 });
  }
  await good.stop();
  const ratios = alone.map((a, i) => beside[i] / a);
  return {
    aloneRps: median(alone),
    besideRps: median(beside),
    ratio: median(ratios),
    target: '>= 0.5',
    floodEventsPerSecond: (events * 1000) / (ROUNDS * WINDOW_MS),
    floodLinesDroppedPerSecond: (dropped * 1000) / (ROUNDS * WINDOW_MS),
    rounds: ROUNDS,
    windowMs: WINDOW_MS,
  };
}
