import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HOST, startHost } from './helpers/host-script.js';
import {
  descendantsOf,
  groupMembers,
  isAlive,
  pollUntil,
  processTable,
  waitForDeath,
} from './helpers/process-table.js';
import './helpers/fixtures.js';
import { temporaryDir } from './helpers/temporary-dir.js';

describe('handlers die with their host', () => {
  it('a host script that simply ends is not kept alive by its idle handler, and takes it along', async () => {
    const { handlerPid, exited } = await startHost('end');
    expect(await exited).toEqual([0, null]);
    expect(handlerPid).toBeGreaterThan(0);
    expect(await waitForDeath(handlerPid, 2000)).toBe(true);
  });

  // Eight hosts one after the other, each starting a handler: sixteen process starts, which on
  // a loaded machine take longer than the default 30 s (38.7 s at load 27, niced): load-bound.
  it("a host awaiting its idle handler's exit (events.once) is kept alive until it comes, every time", async () => {
    for (let run = 0; run < 8; run++) {
      const { exited, output } = await startHost('await-exit');
      expect(await exited).toEqual([0, null]);
      expect(output()).toContain('exit seen: SIGKILL');
    }
  }, 120_000);

  it('a wait on a lifecycle event that is given up on does not keep the host alive', async () => {
    const { handlerPid, exited, output } = await startHost('abandon-wait');
    expect(await exited).toEqual([0, null]);
    expect(output()).toContain('AbortError');
    expect(await waitForDeath(handlerPid, 2000)).toBe(true);
  });

  it('NODE_DEBUG=umd logs the lifecycle to stderr', async () => {
    const host = spawn(process.execPath, [HOST, 'exit'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_DEBUG: 'umd' },
    });
    let err = '';
    host.stderr.setEncoding('utf8');
    host.stderr.on('data', (chunk: string) => (err += chunk));
    await once(host, 'close');
    expect(err).toMatch(/UMD \d+: host-test: loaded loader echo/);
    expect(err).toMatch(/UMD \d+: handler echo started: pid \d+/);
    expect(err).toMatch(/UMD \d+: host-test: handler pid \d+ ready/);
  });

  it('process.exit()', async () => {
    const { handlerPid, exited } = await startHost('exit');
    expect(await exited).toEqual([0, null]);
    expect(await waitForDeath(handlerPid, 2000)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: the host still dies of the signal, and its handler with it',
    async (signal) => {
      const { host, handlerPid, exited } = await startHost('wait');
      host.kill(signal);
      expect(await exited).toEqual([null, signal]);
      expect(await waitForDeath(handlerPid, 2000)).toBe(true);
    },
  );

  it('a host that handles SIGTERM itself keeps its handler for the shutdown; it dies at exit', async () => {
    const { host, handlerPid, exited } = await startHost('graceful');
    let out = '';
    host.stdout.on('data', (chunk: string) => (out += chunk));
    host.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(out).toContain('shutdown');
    expect(await waitForDeath(handlerPid, 2000)).toBe(true);
  });

  it('SIGKILL of the host: the handler sees stdin EOF and exits on its own', async () => {
    const { host, handlerPid, exited } = await startHost('wait');
    host.kill('SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(await waitForDeath(handlerPid, 3000)).toBe(true);
  });
});

describe('nothing left in the staging directory', () => {
  it.each(['native', 'js'])(
    'process.exit() right after stop() leaves no private copy (%s handler, 6 runs)',
    async (kind) => {
      const staging = await temporaryDir('umd-exit-staging-');
      await chmod(staging, 0o711); // searchable by handlers that run as nobody
      for (let run = 0; run < 6; run++) {
        const host = spawn(process.execPath, [HOST, 'stop-exit', kind], {
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, UMD_TEST_STAGING: staging },
        });
        expect(await once(host, 'exit')).toEqual([0, null]);
        expect(await readdir(staging), `run ${run}`).toEqual([]);
      }
    },
    120_000, // six hosts in turn, each starting a handler: load-bound, as above
  );

  it('a SIGKILLed host leaves its copy; the next start of the same driver removes it', async () => {
    const staging = await temporaryDir('umd-kill-staging-');
    await chmod(staging, 0o711); // searchable by handlers that run as nobody
    const first = spawn(process.execPath, [HOST, 'wait'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, UMD_TEST_STAGING: staging },
    });
    await once(first.stdout, 'data');
    // The JS handler's copy goes at HELLO; make one that stays: a fake leftover of this dead host.
    first.kill('SIGKILL');
    await once(first, 'exit');
    await mkdir(join(staging, `umd-echo-${first.pid}-Qq1234`));
    const second = spawn(process.execPath, [HOST, 'exit'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, UMD_TEST_STAGING: staging },
    });
    expect(await once(second, 'exit')).toEqual([0, null]);
    expect(await readdir(staging)).toEqual([]);
  });
});

describe('containment: nothing a handler started outlives it or its host', () => {
  const pidNamespace = process.platform === 'linux' && process.getuid?.() === 0;

  /** Every process below `root` that is still running, from /proc. */
  const living = (pids: number[]) => pids.filter((pid) => isAlive(pid));

  it.runIf(pidNamespace)(
    'SIGKILL of the host: a handler that ignores stdin EOF and SIGTERM dies within a second',
    async () => {
      const { host, exited } = await startHost('wait', 'stubborn');
      const tree = descendantsOf(host.pid!).map((p) => p.pid);
      expect(tree.length).toBeGreaterThan(0);
      host.kill('SIGKILL');
      await exited;
      const t0 = Date.now();
      while (living(tree).length > 0 && Date.now() - t0 < 1000) await sleep(20);
      expect(living(tree), 'handler processes alive 1 s after the host died').toEqual([]);
    },
  );

  it.runIf(pidNamespace)(
    'SIGKILL of the host: a grandchild that called setsid() dies too',
    async () => {
      const { host, exited } = await startHost('wait', 'escape');
      const tree = descendantsOf(host.pid!);
      const escapee = tree.find((p) => p.comm === 'sleep');
      expect(escapee, 'the setsid() grandchild runs').toBeDefined();
      expect(escapee!.pgid).not.toBe(tree[0]!.pgid); // it really left the group
      host.kill('SIGKILL');
      await exited;
      const pids = tree.map((p) => p.pid);
      const t0 = Date.now();
      while (living(pids).length > 0 && Date.now() - t0 < 1000) await sleep(20);
      expect(living(pids)).toEqual([]);
    },
  );
});

describe('a host SIGKILLed as it spawns the handler', () => {
  // Before the handler's first process (setpriv) can have set its parent-death signal (it stops
  // itself first): one set after the parent died never fires, so the chain checks its parent is
  // still the host. (A host killed just after that check: the next describe.)
  it.runIf(process.platform === 'linux').each(['pid-namespace', 'process-group'])(
    '%s: nothing of the handler is left (a handler that ignores stdin EOF and SIGTERM)',
    async (containment) => {
      for (let run = 0; run < 3; run++) {
        const host = spawn(process.execPath, [HOST, 'killed-at-spawn', 'stubborn'], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, UMD_TEST_CONTAINMENT: containment },
        });
        let out = '';
        host.stdout.setEncoding('utf8');
        host.stdout.on('data', (chunk: string) => (out += chunk));
        expect(await once(host, 'exit')).toEqual([null, 'SIGKILL']);
        // The handler's first process leads its own process group (spawned detached).
        const group = Number(out.trim());
        expect(group, `run ${run}: the host printed the handler's pid`).toBeGreaterThan(0);
        // Continued once it has stopped itself (a continue before that would be lost).
        const stopped = () => processTable().some((p) => p.pid === group && p.state === 'T');
        expect(await pollUntil(stopped, 3000), `run ${run}: the first process stopped`).toBe(true);
        process.kill(group, 'SIGCONT');
        const gone = await pollUntil(() => groupMembers(group).length === 0, 3000);
        const left = groupMembers(group).map((p) => p.pid);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        expect(gone, `run ${run}: left running: ${left.join(', ')}`).toBe(true);
      }
    },
    60_000,
  );
});

describe('a host SIGKILLed once the namespace supervisor has forked the handler', () => {
  // The handler's process has not armed its own parent-death signal yet (it sleeps in front of
  // its setpriv): the supervisor, told of the host's death by its own signal, kills it.
  it.runIf(process.platform === 'linux')(
    'nothing of the handler is left, the namespace with it',
    async () => {
      const host = spawn(process.execPath, [HOST, 'killed-after-fork', 'stubborn'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, UMD_TEST_CONTAINMENT: 'pid-namespace' },
      });
      let out = '';
      host.stdout.setEncoding('utf8');
      host.stdout.on('data', (chunk: string) => (out += chunk));
      expect(await once(host, 'exit')).toEqual([null, 'SIGKILL']);
      const group = Number(out.trim());
      expect(group, "the host printed the handler chain's pid").toBeGreaterThan(0);
      // Past the sleep: a handler left behind would be running by then.
      const gone = await pollUntil(() => groupMembers(group).length === 0, 4000);
      const left = groupMembers(group).map((p) => `${p.pid} ${p.comm}`);
      for (const p of groupMembers(group)) process.kill(p.pid, 'SIGKILL');
      expect(gone, `left running: ${left.join(', ')}`).toBe(true);
    },
    30_000,
  );
});

describe('a start that cannot finish', () => {
  it('keeps the host alive until its deadline, then fails with UMD_TIMEOUT', async () => {
    const host = spawn(
      process.execPath,
      [fileURLToPath(new URL('./fixtures/stalled-start-host.mjs', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    host.stdout.setEncoding('utf8');
    host.stdout.on('data', (chunk: string) => (out += chunk));
    const [code] = await once(host, 'exit');
    expect(out.trim()).toBe('UMD_TIMEOUT');
    expect(code).toBe(0);
  });
});
