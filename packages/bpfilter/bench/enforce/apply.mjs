// The apply rounds: the same table restored into the kernel's legacy tables, through the
// preload into the enforcing service, and as the translated nft batch alone.
import { countSpent, cpuSpent, treeCpu, treeFaults } from '../process-cpu.mjs';
import { servicePart } from './service.mjs';

function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const restore = (ns, env, file) =>
  ns.run(['sh', '-c', `iptables-legacy-restore < ${file}`], { env });

/**
 * `warmup + runs` rounds, each applying the other table than the one before it, warm-up
 * rounds included. Returns the times of the measured rounds (`apply`, ms), the first round's
 * (`cold`), the service's CPU by part of each measured round (`cpu`) and of every round
 * (`roundsCpu`), its minor page faults by part of each measured round (`faults`), and when each measured enforced restore ran on the service's clock
 * (`enforcedAt`, its last the `lastEnforced`).
 */
export function applyRounds({ tables, namespaces, service, env, warmup, runs }) {
  const { legacy, enforced, nftOnly } = namespaces;
  const cpu = [];
  const faults = [];
  const apply = { legacy: [], enforced: [], nft: [] };
  const enforcedAt = [];
  for (let round = 0; round < warmup + runs; round++) {
    const { rulesFile, batchFile } = tables[round % 2];
    apply.legacy.push(timed(() => restore(legacy, env.kernel, rulesFile)));
    const before = treeCpu(service.child.pid, servicePart);
    const faultsBefore = treeFaults(service.child.pid, servicePart);
    // On the service's clock (its step times are ms since the epoch too).
    const at = { from: performance.timeOrigin + performance.now() };
    apply.enforced.push(timed(() => restore(enforced, env.preload, rulesFile)));
    enforcedAt.push({ ...at, to: performance.timeOrigin + performance.now() });
    cpu.push(cpuSpent(before, treeCpu(service.child.pid, servicePart)));
    faults.push(countSpent(faultsBefore, treeFaults(service.child.pid, servicePart)));
    apply.nft.push(timed(() => nftOnly.run(['nft', '-j', '-f', batchFile])));
  }
  const cold = { legacy: apply.legacy[0], enforced: apply.enforced[0] };
  const roundsCpu = [...cpu];
  for (const list of [...Object.values(apply), cpu, faults, enforcedAt]) list.splice(0, warmup);
  return { apply, cold, cpu, faults, roundsCpu, enforcedAt, lastEnforced: enforcedAt.at(-1) };
}
