/**
 * Enforcement as an administrator meets it: a replaced table judges the next packet, a
 * refused one (untranslatable, or refused by nf_tables) leaves the previous one in force in
 * the kernel and in bpfilter, with an error that says why; the TypeScript API in enforcement
 * mode (run in a namespace of its own). Needs what the parity tests need.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBlob } from '@umd/build';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInNetns, nodeInNetns } from './enforce/netns-script.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { ANSWER_MS, Twin, waitFor } from './enforce/twins.js';
import { withoutSaveComments } from './iptables/namespace.js';

const missing = enforceSkipReason();

const rules = (...lines: string[]) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
const BLOCK_80 = rules('-A INPUT -p tcp -m tcp --dport 80 -j DROP');
const BLOCK_22 = rules('-A INPUT -p tcp -m tcp --dport 22 -j DROP');

describe.skipIf(missing !== undefined)('enforcement: replace and refusal', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await Twin.create('bpfilter');
  }, 60_000);
  afterAll(async () => {
    await twin?.destroy();
  });

  // What ports 80 and 22 of F give C, each probe waiting as long as its expected outcome needs.
  const outcomes = async (expected: Record<80 | 22, string>) => ({
    80: await twin.probe('C', 'tcp', '10.1.0.1', 80, waitFor(expected[80])),
    22: await twin.probe('C', 'tcp', '10.1.0.1', 22, waitFor(expected[22])),
  });
  const blocked22 = { 80: 'connected:10.1.0.2', 22: 'timeout' };

  it('a replaced table takes effect for the next connection', async () => {
    expect((await twin.restore(BLOCK_80)).code).toBe(0);
    expect(await outcomes({ 80: 'timeout', 22: 'connected:10.1.0.2' })).toEqual({
      80: 'timeout',
      22: 'connected:10.1.0.2',
    });
    expect((await twin.restore(BLOCK_22)).code).toBe(0);
    expect(await outcomes(blocked22)).toEqual(blocked22);
  }, 60_000);

  it('an untranslatable rule is refused by name and the previous table stays in force', async () => {
    expect((await twin.restore(BLOCK_22)).code).toBe(0);
    const refused = await twin.restore(
      rules(
        '-A INPUT -p tcp -m tcp --dport 80 -j DROP',
        '-A INPUT -m conntrack --ctstate NEW,DNAT -m limit --limit 1/s -j ACCEPT',
      ),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('-m limit');
    expect(refused.stderr).toContain('rule 2 of chain INPUT');
    const single = await twin.iptables('iptables-legacy', [
      '-A',
      'INPUT',
      '-m',
      'conntrack',
      '--ctstate',
      'NEW,DNAT',
      '-m',
      'limit',
      '--limit',
      '1/s',
      '-j',
      'ACCEPT',
    ]);
    expect(single.code).not.toBe(0);
    expect(single.stderr).toMatch(/bpfilter enforcement: cannot enforce .*-m limit/);
    expect(await outcomes(blocked22)).toEqual(blocked22);
    const saved = await twin.iptables('iptables-legacy-save', []);
    expect(saved.stdout).toContain('-A INPUT -p tcp -m tcp --dport 22 -j DROP');
    expect(saved.stdout).not.toContain('limit');
  }, 60_000);

  it('a table nf_tables refuses leaves the previous one in force', async () => {
    expect((await twin.restore(BLOCK_22)).code).toBe(0);
    const chains = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const deep = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ...chains.map((c) => `:${c} - [0:0]`),
      '-A INPUT -p tcp -m tcp --dport 80 -j DROP',
      `-A INPUT -j ${chains[0]}`,
      ...chains.slice(0, -1).map((c, i) => `-A ${c} -j ${chains[i + 1]}`),
      'COMMIT',
      '',
    ].join('\n');
    const refused = await twin.restore(deep);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('nft refused table "filter"');
    expect(await outcomes(blocked22)).toEqual(blocked22);
    const listed = await twin.run('F', ['nft', 'list', 'table', 'ip', 'bpfilter_filter']);
    expect(listed.stdout).toContain('tcp dport 22');
    expect(listed.stdout).not.toContain('c00');
  }, 60_000);

  it('the handler killed: the kernel keeps enforcing, a new handler has the tables and counters', async () => {
    expect((await twin.restore(BLOCK_22)).code).toBe(0);
    expect(await outcomes(blocked22)).toEqual(blocked22);
    const save = async () => (await twin.iptables('iptables-legacy-save', ['-c'])).stdout;
    const before = withoutSaveComments(await save());
    const handlers = twin.handlerPids();
    expect(handlers.length).toBeGreaterThan(0);
    for (const pid of handlers) process.kill(pid, 'SIGKILL');
    expect(await outcomes(blocked22)).toEqual(blocked22);
    const after = withoutSaveComments(await save());
    // The same table, its DROP rule counting on from where it was (the second probe's SYN).
    const shape = (text: string) => text.replace(/\[\d+:\d+\]/g, '[]');
    expect(shape(after)).toBe(shape(before));
    const dropRule = /\[(\d+):\d+\] -A INPUT -p tcp -m tcp --dport 22 -j DROP/;
    const count = (text: string) => Number(dropRule.exec(text)![1]);
    expect(count(after)).toBeGreaterThan(count(before));
    expect(twin.handlerPids().some((pid) => !handlers.includes(pid))).toBe(true);
    expect((await twin.restore(BLOCK_80)).code).toBe(0);
    expect(await outcomes({ 80: 'timeout', 22: 'connected:10.1.0.2' })).toEqual({
      80: 'timeout',
      22: 'connected:10.1.0.2',
    });
  }, 60_000);

  it('serve --state --enforce restarted (after a reboot emptied the kernel): the tables are enforced again, counters kept', async () => {
    expect((await twin.restore(BLOCK_22)).code).toBe(0);
    expect(await outcomes(blocked22)).toEqual(blocked22);
    const save = async () => (await twin.iptables('iptables-legacy-save', ['-c'])).stdout;
    const before = withoutSaveComments(await save());
    expect(before).toMatch(/\[[1-9]\d*:\d+\] -A INPUT -p tcp -m tcp --dport 22 -j DROP/);
    const stopped = await twin.restartService('SIGTERM', async () => {
      // Stopped, the service leaves the kernel enforcing; a reboot then empties the kernel.
      expect(await twin.probe('C', 'tcp', '10.1.0.1', 22)).toBe('timeout');
      expect((await twin.run('F', ['nft', 'flush', 'ruleset'])).code).toBe(0);
      expect(await twin.probe('C', 'tcp', '10.1.0.1', 22, ANSWER_MS)).toBe('connected:10.1.0.2');
    });
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(withoutSaveComments(await save())).toBe(before);
    expect(await outcomes(blocked22)).toEqual(blocked22);
  }, 60_000);

  it("a handler's receipt of another table: UMD_PROTOCOL, and the kernel keeps the previous table", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfilter-liar-'));
    try {
      const blob = await buildBlob({
        entry: fileURLToPath(new URL('./fixtures/receipt-liar-handler.mjs', import.meta.url)),
        outDir: dir,
        name: 'bpfilter',
      });
      const script = fileURLToPath(new URL('./enforce/receipt-liar-in-netns.mjs', import.meta.url));
      const out = await jsonInNetns<Record<string, never>>(
        script,
        { script: blob.file, sha256: blob.sha256 },
        60_000,
      );
      expect(out.first).toMatch(
        /ip saddr 10\.0\.0\.0\/8 tcp dport 22 counter packets 0 bytes 0 drop/,
      );
      expect(out.lie).toMatchObject({
        code: 'UMD_PROTOCOL',
        message: expect.stringMatching(/receipt of another table; the previous table stays$/),
      });
      // The kernel enforces the previous table again (the install may go first: it is undone).
      expect(out.afterLie).toBe(out.first);
      expect(out.savedAfterLie).toBe(out.savedFirst);
      // The liar lies at every kept replace: the next one fails the same way, and changes nothing.
      expect(out.next).toMatchObject({ code: 'UMD_PROTOCOL' });
      expect(out.afterNext).toBe(out.first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the TypeScript API enforces too, and its refusals are EnforcementErrors', async () => {
    const script = fileURLToPath(new URL('./enforce/api-in-netns.mjs', import.meta.url));
    const stdout = await nodeInNetns(script, [], 60_000);
    const out = JSON.parse(stdout);
    expect(out.first).toMatch(
      /ip saddr 192\.0\.2\.0\/24 tcp dport 22 counter packets 0 bytes 0 drop/,
    );
    expect(out.first).toMatch(
      /chain FORWARD \{\s+type filter hook forward priority filter; policy drop;/,
    );
    expect(out.untranslatable).toMatchObject({
      name: 'EnforcementError',
      isEnforcementError: true,
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -95,
      failure: 'untranslatable',
      extension: '! -p all',
    });
    expect(out.afterUntranslatable).toBe(out.first);
    expect(out.savedAfterUntranslatable).toContain(
      '-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j DROP',
    );
    expect(out.kernelRefused).toMatchObject({ failure: 'kernel-refused', handlerCode: -22 });
    expect(out.kernelRefused.message).toContain('nft refused table "filter"');
    expect(out.kernelRefused.message).toContain("nested deeper than nf_tables' jump stack");
    expect(out.afterKernelRefused).toBe(out.first);
    expect(out.savedAfterKernelRefused).toBe(out.savedAfterUntranslatable);
  }, 60_000);
});
