/**
 * Programs run in the twins' network namespaces: each namespace is held open by a process
 * `unshare -n` made, and entered by its pid with nsenter. Every process started here is killed
 * when the test process ends, so a run that is killed (or times out before its cleanup) leaves
 * no namespace holder, peer or service behind.
 */
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';

/** What a command printed. */
export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnDyingWithTest(argv: string[], options: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], options);
}

/** The environment without a preload or a service of the outer test run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.BPFILTER_SOCKET;
  return env;
}

/**
 * A process in a new network namespace, which it holds open: it says so once it is in, and its
 * pid stays through each exec (see {@link namespaceHolderPid}).
 */
export function holdNamespace(): ChildProcess {
  return spawnDyingWithTest(['unshare', '-n', 'sh', '-c', 'echo in; exec sleep infinity'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** The pid of the program `unshare` became (unshare -n execs it in place). */
export async function namespaceHolderPid(holder: ChildProcess): Promise<number> {
  const pid = holder.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const [line] = await Promise.race([
    once(holder.stdout!, 'data'),
    once(holder, 'exit').then(([code]) => {
      throw new Error(`unshare -n exited (${code}) before entering a network namespace`);
    }),
  ]);
  if (!String(line).startsWith('in')) throw new Error(`unshare -n said ${String(line)}`);
  return pid;
}

/** Runs `argv` in the namespace of process `pid` to its end (60 s at most). */
export function runIn(
  pid: number,
  argv: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<Output> {
  return new Promise((resolve) => {
    const child = execFile(
      'nsenter',
      ['-t', String(pid), '-n', ...argv],
      { env: { ...cleanEnv(), ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Starts `argv` in the namespace of process `pid`, its stdout and stderr piped. */
export function spawnIn(
  pid: number,
  argv: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'pipe' | 'ignore' = 'ignore',
): ChildProcess {
  return spawnDyingWithTest(['nsenter', '-t', String(pid), '-n', ...argv], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...cleanEnv(), ...env },
  });
}

/** What `child` prints until it exits. */
export function outputOf(child: ChildProcess): Promise<Output> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

/**
 * Resolves with `child` once its `stream` printed `line`; rejects if it exits first or after
 * 20 s, with what it printed (both streams when waiting on stdout).
 */
export function untilLine(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  line: string,
  what: string,
): Promise<ChildProcess> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no "${line}": ${seen}`)), 20_000);
    child[stream]!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    if (stream === 'stdout')
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
      });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${seen}`));
    });
  });
}
