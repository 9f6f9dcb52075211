// The handler in a PID namespace is an ordinary process, pid 2 under a minimal init: what the
// kernel does to a namespace's init (signals without a handler dropped, orphans left to it)
// must not happen to the handler. Run by containment.test.ts (the launcher where it is built) and
// containment-chain.test.ts (UMD_LAUNCHER=off: the program chain).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UmdExitEvent, UmdManager } from '../../src/index.js';
import { fixtureLoader, handlerPid, managed, rejection, text } from './fixtures.js';
import { descendantsOf, isAlive, pollUntil, waitForDeath } from './process-table.js';

const root = process.platform === 'linux' && process.getuid?.() === 0;
const GRACE_MS = 1000;

const nextExit = (m: UmdManager) => new Promise<UmdExitEvent>((resolve) => m.once('exit', resolve));
const commOf = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
};

/** `init`: the name of the init the run's start uses (`umd-launcher`, or `bash` for the chain). */
export function namespaceInitCases(init: string): void {
  describe.runIf(root)(`the handler is not its PID namespace's init (${init})`, () => {
    /** A started manager whose handler runs under `init`, and the handler's host pid. */
    async function started(options: Parameters<typeof managed>[0], first = 'x') {
      const m = managed({ sandbox: { containment: 'pid-namespace' }, ...options });
      await m.request(text(first));
      const pid = handlerPid(m);
      const parent = Number(
        /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1],
      );
      expect(commOf(parent), 'the init above the handler').toBe(init);
      return { m, pid, init: parent };
    }

    // Both ignore the end of their stdin and have SIGTERM at its default.
    const lingering = {
      native: () => started({ loader: fixtureLoader('native-echo') }, 'linger:'),
      JS: () => started({ loader: fixtureLoader('echo'), env: { UMD_FIXTURE: 'linger' } }),
    };
    for (const [kind, start] of Object.entries(lingering)) {
      it(`stop() ends a ${kind} handler without a SIGTERM listener at its SIGTERM step`, async () => {
        const { m } = await start();
        const exit = nextExit(m);
        const begun = performance.now();
        await m.stop({ graceMs: GRACE_MS });
        expect(await exit).toMatchObject({ exitCode: null, signal: 'SIGTERM', expected: true });
        // SIGTERM comes at GRACE_MS, SIGKILL at twice that.
        expect(performance.now() - begun).toBeLessThan(2 * GRACE_MS);
      });
    }

    it("abort() in the handler is reported as SIGABRT (the init's rule made it a SIGSEGV)", async () => {
      const { m } = await started({ loader: fixtureLoader('native-echo') });
      const exit = nextExit(m);
      const error = await rejection(m.request(text('abort:')));
      expect(error).toMatchObject({
        code: 'UMD_HANDLER_EXITED',
        exitCode: null,
        signal: 'SIGABRT',
      });
      expect(await exit).toMatchObject({ signal: 'SIGABRT', expected: false });
    });

    it("an administrator's kill ends the handler; one sent to the init is passed on to it", async () => {
      const direct = await started({ loader: fixtureLoader('native-echo') });
      let exit = nextExit(direct.m);
      process.kill(direct.pid, 'SIGTERM');
      expect(await exit).toMatchObject({ signal: 'SIGTERM', expected: false });
      const passed = await started({ loader: fixtureLoader('native-echo') });
      exit = nextExit(passed.m);
      process.kill(passed.init, 'SIGUSR1');
      expect(await exit).toMatchObject({ signal: 'SIGUSR1', expected: false });
      expect(isAlive(passed.init)).toBe(false);
    });

    it("a handler killed by a signal is reported as that signal, SIGUSR2 (the chain supervisor's own) too", async () => {
      const signals = (
        'SIGHUP SIGINT SIGQUIT SIGILL SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 ' +
        'SIGPIPE SIGALRM SIGTERM SIGXCPU SIGPWR SIGSYS'
      ).split(' ') as NodeJS.Signals[];
      const reported: Record<string, unknown> = {};
      for (const signal of signals) {
        const { m, pid } = await started({ loader: fixtureLoader('native-echo') });
        const exit = nextExit(m);
        process.kill(pid, signal);
        const { exitCode, signal: got } = await exit;
        reported[signal] = got ?? exitCode;
      }
      expect(reported).toEqual(Object.fromEntries(signals.map((signal) => [signal, signal])));
    });

    it('a handler killed by a real-time signal is reported as exit code 128 plus it, not as exit 0 (Node names none)', async () => {
      for (const signal of [34, 40, 64]) {
        const { m, pid } = await started({ loader: fixtureLoader('native-echo') });
        const exit = nextExit(m);
        process.kill(pid, signal);
        expect(await exit, `signal ${signal}`).toMatchObject({
          exitCode: 128 + signal,
          signal: null,
          expected: false,
        });
      }
    });

    // The chain's supervisor takes 129 to 159 for the signal it stands for (the documented
    // ambiguity); above that (real-time signals, which Node cannot name) it passes the code on.
    const codes = [0, 1, 2, 125, 126, 127, 128, 160, 161, 162, 170, 191, 192, 193, 254, 255];
    if (init !== 'bash') codes.push(129, 130, 137, 140, 143, 147, 159);
    it(`exit codes ${codes.join(' ')} are reported as they are`, async () => {
      const reported: Record<number, unknown> = {};
      for (const code of codes) {
        const { m } = await started({ loader: fixtureLoader('echo') });
        const exit = nextExit(m);
        await rejection(m.request(text(`exit:${code}`)));
        const { exitCode, signal } = await exit;
        reported[code] = signal ?? exitCode;
      }
      expect(reported).toEqual(Object.fromEntries(codes.map((code) => [code, code])));
    });

    // The launcher's init lets go of it. The chain's bash, the tracer then, cannot: the handler
    // stays stopped (its requests time out) until stop()'s SIGKILL ends the namespace, as the
    // security guide says.
    if (init !== 'bash')
      it('a handler that makes the init its tracer (PTRACE_TRACEME) stops at a signal: let go of, not taken for ended', async () => {
        const { m } = await started({ loader: fixtureLoader('native-echo') });
        // It raises SIGUSR1 as a tracee: a ptrace stop the init's waitpid reports.
        expect(new TextDecoder().decode(await m.request(text('traceme:')))).toBe('traceme:');
        expect(new TextDecoder().decode(await m.request(text('y')))).toBe('y');
        const exit = nextExit(m);
        await m.stop({ graceMs: GRACE_MS });
        expect(await exit).toMatchObject({ exitCode: 0, signal: null, expected: true });
      });
    else
      it('a handler that makes bash its tracer (PTRACE_TRACEME) stays stopped at a signal until its request times out and the manager ends it: nothing left', async () => {
        const { m, pid, init: bash } = await started({ loader: fixtureLoader('native-echo') });
        const exit = nextExit(m);
        const reply = rejection(m.request(text('traceme:'), { timeoutMs: 1000 }));
        const state = () =>
          /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        expect(await pollUntil(() => state() === 't'), 'in a tracing stop').toBe(true);
        expect(await reply).toMatchObject({ code: 'UMD_TIMEOUT' });
        expect(await exit).toMatchObject({ signal: 'SIGKILL', expected: false });
        expect(await waitForDeath(pid, 1000)).toBe(true);
        expect(await waitForDeath(bash, 1000)).toBe(true);
      });

    it("a root handler that signals its group, everyone it may (kill -1) and its parent's group reaches neither the supervisor nor the init", async () => {
      const { m, init } = await started({
        loader: fixtureLoader('native-echo'),
        sandbox: { containment: 'pid-namespace', uid: 0, gid: 0 },
      });
      const supervisor = m.pid!;
      // SIGABRT: neither passed on by the init nor waited out by the launcher's supervisor.
      expect(new TextDecoder().decode(await m.request(text('abort-all:')))).toBe('abort-all:');
      expect(new TextDecoder().decode(await m.request(text('y')))).toBe('y');
      expect(isAlive(supervisor) && isAlive(init)).toBe(true);
      const exit = nextExit(m);
      await m.stop({ graceMs: GRACE_MS });
      expect(await exit).toMatchObject({ exitCode: 0, signal: null, expected: true });
    });

    it('setsid() grandchildren that end leave no zombie; those that run are gone after stop()', async () => {
      const { m, init } = await started({
        loader: fixtureLoader('echo'),
        sandbox: { containment: 'pid-namespace', permission: false },
      });
      await m.request(text('orphans:50'));
      const orphans = () =>
        descendantsOf(m.pid!).filter((p) => p.comm === 'sleep' && p.ppid === init);
      // The long one runs on, the init's child now; the short one ended and was reaped.
      expect(
        await pollUntil(() => {
          const left = orphans();
          return left.length === 1 && cmdline(left[0]!.pid) === 'sleep 1005';
        }),
        `orphans left: ${JSON.stringify(orphans())}`,
      ).toBe(true);
      const zombies = descendantsOf(m.pid!).filter((p) => p.state === 'Z');
      expect(zombies).toEqual([]);
      const running = orphans()[0]!.pid;
      await m.stop({ graceMs: 200 });
      expect(await waitForDeath(running, 1000)).toBe(true);
    });
  });
}
