/**
 * Behaviour parity: the same rules restored into the kernel's legacy tables of one twin and,
 * through `bpfilter exec`, into a `bpfilter serve --enforce` of the other; the same traffic
 * between veth ends must meet the same fate in both, and the counters must agree.
 * Needs root, nft, ip, nsenter, ping and iptables-legacy; skips otherwise (fails with CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTED, type Probe, SCENARIOS } from './enforce/scenarios.js';
import { missingEnforcePrerequisite, Twin } from './enforce/twins.js';

const missing = missingEnforcePrerequisite();
if (missing && process.env.CI === 'true')
  throw new Error(`enforcement tests cannot run: ${missing}`);

function probe(twin: Twin, p: Probe): Promise<string> {
  if (p.kind === 'ping') return twin.ping(p.from, p.host);
  return twin.probe(p.from, p.kind, p.host, p.port ?? 0);
}

/** iptables-save -c without its dated comment lines. */
async function saved(twin: Twin): Promise<string> {
  const out = await twin.iptables('iptables-legacy-save', ['-c']);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

describe.skipIf(missing !== undefined)('enforcement parity with the kernel (legacy tables)', () => {
  let kernel: Twin;
  let enforced: Twin;

  beforeAll(async () => {
    [kernel, enforced] = await Promise.all([Twin.create('kernel'), Twin.create('bpfilter')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([kernel?.destroy(), enforced?.destroy()]);
  });

  async function restoreBoth(rules: string): Promise<void> {
    const [k, b] = await Promise.all([kernel.restore(rules), enforced.restore(rules)]);
    expect(k.code, k.stderr).toBe(0);
    expect(b.code, `${b.stderr}\n${enforced.serviceLog}`).toBe(0);
  }

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      await restoreBoth(scenario.rules);
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const p of scenario.probes) {
        const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
        const what = `${p.kind} ${p.from} -> ${p.host}${p.port ? `:${p.port}` : ''}`;
        seen.push(`${what}: kernel ${k}, bpfilter ${b}`);
        wanted.push(`${what}: kernel ${p.expect}, bpfilter ${p.expect}`);
      }
      expect(seen).toEqual(wanted);
    }, 60_000);
  }

  it("counters equal the kernel's after the same traffic", async () => {
    await restoreBoth(COUNTED.rules);
    for (const p of COUNTED.probes) {
      const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
      expect([k, b]).toEqual([p.expect, p.expect]);
    }
    const [k, b] = await Promise.all([saved(kernel), saved(enforced)]);
    expect(b).toBe(k);
    // Real packets were counted (not zeros agreeing with zeros).
    expect(k).toMatch(/\[2:168\] -A icmpin -p icmp -m icmp --icmp-type 8 -j ACCEPT/);
  }, 60_000);

  it('keeps the two worlds apart: no legacy table under bpfilter, no nft table in the kernel twin', async () => {
    const legacy = await enforced.run('F', ['iptables-legacy-save']);
    expect(legacy.stdout).toBe('');
    const nft = await kernel.run('F', ['nft', 'list', 'ruleset']);
    expect(nft.stdout).toBe('');
    const ours = await enforced.run('F', ['nft', 'list', 'tables']);
    expect(ours.stdout).toContain('table ip bpfilter_filter');
  });
});
