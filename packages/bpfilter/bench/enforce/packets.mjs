// The per-packet rounds: `ping -f` on 127.0.0.1 through no table, the legacy table and the
// enforced one.

// On lo, a packet's whole way (both INPUT walks) runs in ping's own system calls, on its CPU:
// every ping runs on the same CPU, so no twin is measured on a CPU the other was not.
function pingMs(ns, packets) {
  const ping = ['ping', '-f', '-q', '-c', String(packets), '127.0.0.1'];
  const out = ns.run(['taskset', '-c', '0', ...ping]);
  const match = / time (\d+)ms/.exec(out);
  if (!match) throw new Error(`ping said: ${out}`);
  return Number(match[1]);
}

/** `runs` rounds of `packets` pings through no table, the legacy table and the enforced one. */
export function pingRounds({ baseline, legacy, enforced }, runs, packets) {
  const times = { baseline: [], legacy: [], enforced: [] };
  for (let round = 0; round < runs; round++) {
    times.baseline.push(pingMs(baseline, packets));
    times.legacy.push(pingMs(legacy, packets));
    times.enforced.push(pingMs(enforced, packets));
  }
  return times;
}
