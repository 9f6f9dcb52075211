// What a handler gets from its start, whichever starts it: the launcher (native/umd_launcher.c,
// the default where it is built) or the program chain (UMD_LAUNCHER=off). The file runs as is in
// both; the cases only the launcher passes say so.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureLoader, handlerPid, managed, rejection, text } from './helpers/fixtures.js';
import { descendantsOf, waitForDeath } from './helpers/process-table.js';
import { temporaryDir } from './helpers/temporary-dir.js';

const root = process.platform === 'linux' && process.getuid?.() === 0;
const LAUNCHER = fileURLToPath(new URL('../dist/native/umd-launcher', import.meta.url));
const launched = existsSync(LAUNCHER) && process.env.UMD_LAUNCHER !== 'off';
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');
const field = (text: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*$`, 'm').exec(text)?.[1];

describe.runIf(root)('a handler in a PID namespace (root host)', () => {
  it('runs as nobody with no_new_privs, every signal at its default and none blocked, holding its stdio only', async () => {
    const m = managed({ loader: fixtureLoader('native-echo') });
    await m.request(text('x'));
    expect(m.stats().containment).toBe('pid-namespace');
    const pid = handlerPid(m);
    const own = status(pid);
    expect(field(own, 'Uid')).toMatch(/^65534\s+65534\s+65534\s+65534$/);
    expect(field(own, 'Gid')).toMatch(/^65534\s+65534\s+65534\s+65534$/);
    expect(field(own, 'Groups')).toBe('');
    expect(field(own, 'NoNewPrivs')).toBe('1');
    expect(field(own, 'CapInh')).toMatch(/^0+$/);
    expect(field(own, 'SigIgn')).toMatch(/^0+$/);
    expect(field(own, 'SigBlk')).toMatch(/^0+$/);
    // The second process of a namespace of its own, under its init.
    expect(field(own, 'NSpid')?.split(/\s+/).at(-1)).toBe('2');
    expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
    // Neither its supervisor nor its init holds the handler's stdio: all three are /dev/null there.
    const init = Number(field(own, 'PPid'));
    for (const holder of [m.pid!, init])
      for (const fd of [0, 1, 2])
        expect(readlinkSync(`/proc/${holder}/fd/${fd}`)).toBe('/dev/null');
  });

  it('SIGKILL of the supervisor alone ends the handler and its setsid() grandchild', async () => {
    const m = managed({ loader: fixtureLoader('echo'), sandbox: { permission: false } });
    await m.request(text('escapee:'));
    const tree = descendantsOf(m.pid!).map((p) => p.pid);
    expect(tree.length).toBeGreaterThanOrEqual(2); // the handler, the sleep it left behind
    const exit = new Promise((resolve) => m.once('exit', resolve));
    process.kill(m.pid!, 'SIGKILL');
    await exit;
    for (const pid of tree) expect(await waitForDeath(pid, 1000), `pid ${pid}`).toBe(true);
  });

  it('a handler SIGKILLed from outside is reported with that signal', async () => {
    const m = managed({ loader: fixtureLoader('native-echo') });
    await m.request(text('x'));
    const exit = new Promise<{ signal: string | null }>((resolve) => m.once('exit', resolve));
    process.kill(handlerPid(m), 'SIGKILL');
    expect(await exit).toMatchObject({ signal: 'SIGKILL', expected: false });
  });

  it.runIf(launched)(
    'an exit code above 128 is reported as that code (the chain took 130 for SIGINT)',
    async () => {
      const m = managed({ loader: fixtureLoader('echo') });
      await m.request(text('x'));
      const error = await rejection(m.request(text('exit:130')));
      expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 130, signal: null });
    },
  );

  it.runIf(launched)(
    "the launcher's own error is the start's cause: a handler its user cannot reach",
    async () => {
      const staging = await temporaryDir('umd-unreachable-');
      await chmod(staging, 0o700); // nobody cannot enter it
      const m = managed({ loader: fixtureLoader('native-echo'), stagingDir: staging });
      const error = await rejection(m.request(text('x')));
      expect(error).toMatchObject({ code: 'UMD_START_FAILED', exitCode: 126 });
      expect(error.message).toMatch(/Error: umd-launcher: cannot run \S+: Permission denied$/);
    },
  );

  // An operator may make it set-user-ID root (as bubblewrap is on some systems) to give other
  // users PID namespaces: it would then run any command as any uid its caller names.
  it.runIf(existsSync(LAUNCHER))(
    'a set-user-ID launcher refuses to run for another user, who would get root',
    async () => {
      const dir = await temporaryDir('umd-setuid-');
      await chmod(dir, 0o755);
      const copy = join(dir, 'umd-launcher');
      await copyFile(LAUNCHER, copy);
      await chmod(copy, 0o4755);
      const run = await new Promise<{ code: number | null; out: string; err: string }>(
        (resolve) => {
          const args = [`--parent=${process.pid}`, '--uid=0', '--gid=0', '--', '/usr/bin/id', '-u'];
          const child = execFile(copy, args, { uid: 65534, gid: 65534 }, (_e, out, err) =>
            resolve({ code: child.exitCode, out: String(out), err: String(err) }),
          );
        },
      );
      expect(run.out).toBe('');
      expect(run.code).toBe(125);
      expect(run.err).toMatch(/^Error: umd-launcher: runs set-user-ID or set-group-ID/);
    },
  );
});

// A non-root host's handler runs as the host's uid: what keeps it from its supervisor, which is
// outside the handler's namespace, is that the supervisor holds the user namespace's capabilities
// and the handler none (the chain's supervisor, a shell exec'd there, held none: checked by hand,
// its handler opened /proc/<shell>/mem for writing).
describe.runIf(root && existsSync(LAUNCHER))('a handler in a PID namespace (non-root host)', () => {
  it("cannot open its supervisor's memory", async () => {
    const probe = [
      'while read -r k v; do [ "$k" = PPid: ] && p=$v; done < /proc/self/status',
      'read -r c < /proc/$p/comm',
      'if (exec 3<>/proc/$p/mem) 2>/dev/null; then echo "$c open"; else echo "$c denied"; fi',
    ].join('\n');
    const args = [`--parent=${process.pid}`, '--pid-namespace', '--user-namespace'];
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        LAUNCHER,
        [...args, '--', '/bin/sh', '-c', probe],
        { uid: 65534, gid: 65534, cwd: '/' },
        (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    expect(out).toBe('umd-launcher denied\n');
  });
});

describe.runIf(process.platform === 'linux')('NODE_DEBUG=umd', () => {
  const startLog = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { UmdManager } from '@umd/mgmt';
           import { built } from './built-loader.mjs';
           const m = new UmdManager({ name: 'which', loader: built('native-echo', 'executable') });
           await m.request(new Uint8Array(1));
           await m.stop();`,
        ],
        { cwd: FIXTURES, env: { ...process.env, ...env, NODE_DEBUG: 'umd' } },
        (error, _out, stderr) => (error ? reject(error) : resolve(stderr)),
      ),
    );

  it.runIf(existsSync(LAUNCHER))('says which starts the handlers', async () => {
    expect(await startLog({ UMD_LAUNCHER: '' })).toMatch(
      /containment: handlers start through the launcher \/\S+\/dist\/native\/umd-launcher\n/,
    );
    expect(await startLog({ UMD_LAUNCHER: 'off' })).toMatch(
      /containment: UMD_LAUNCHER=off, handlers start through the program chain\n/,
    );
  });
});
