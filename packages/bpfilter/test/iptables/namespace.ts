/**
 * Runs iptables programs inside throwaway network namespaces (`unshare -n`), either against
 * that namespace's kernel (to learn the expected output) or through `bpfilter exec` against a
 * bpfilter service. Every bpfilter run ends by reading the namespace's own kernel tables
 * WITHOUT the preload, so a test can prove nothing reached the kernel.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's built CLI (tests run after the build). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** The built preload library. */
export const PRELOAD = fileURLToPath(
  new URL('../../dist/native/bpfilter_preload.so', import.meta.url),
);

/** Absolute path of a program in PATH (plus the sbin directories), or undefined. */
export function which(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => join(dir, program))
    .find((path) => existsSync(path));
}

/** The iptables programs under test. */
export const PROGRAMS = {
  iptables: which('iptables-legacy'),
  save: which('iptables-legacy-save'),
  restore: which('iptables-legacy-restore'),
  /** A shell, for steps that start several programs at once (they inherit the preload). */
  shell: '/bin/sh',
} as const;

/**
 * Why these tests cannot run here, or undefined when they can. In CI (CI=true) a reason is
 * a failure, not a skip: `.ci/run` installs Debian's iptables.
 */
export function missingPrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'iptables tests need Linux network namespaces';
  if (!PROGRAMS.iptables || !PROGRAMS.save || !PROGRAMS.restore) {
    return 'iptables-legacy, iptables-legacy-save or iptables-legacy-restore is not installed (Debian package `iptables`)';
  }
  if (!existsSync(PRELOAD)) return `the preload library ${PRELOAD} was not built (no C compiler?)`;
  if (!existsSync(CLI)) return `the CLI ${CLI} was not built`;
  const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return '`unshare -n` does not work here (needs root or user namespaces)';
  return undefined;
}

/** One program run in a namespace: argv and, optionally, a file for its stdin. */
export interface Step {
  /** Which program: `iptables` (iptables-legacy), `save`, `restore`. */
  program: keyof typeof PROGRAMS;
  /** Its arguments. */
  args?: string[];
  /** A file to feed on stdin. */
  stdinFile?: string;
}

/** An `iptables` (iptables-legacy) step with these arguments. */
export const ipt = (...args: string[]): Step => ({ program: 'iptables', args });

/** What one step printed and returned. */
export interface StepResult {
  step: Step;
  stdout: string;
  stderr: string;
  status: number;
}

/** A namespace run: each step's result, and the namespace's kernel tables read at the end. */
export interface NamespaceRun {
  results: StepResult[];
  /** `iptables-legacy-save` of the namespace's kernel, without the preload. */
  kernelSave: string;
  /** `/proc/net/ip_tables_names` of the namespace's kernel, without the preload. */
  kernelTableNames: string;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `steps` in order in ONE fresh network namespace. With `socketPath`, the steps run
 * under ONE `bpfilter exec --socket socketPath -- sh steps.sh` (so every program inherits
 * the preload, and node starts once per run); without, against the namespace's kernel.
 * With `freshService`, through `bpfilter exec -- sh steps.sh` (its own service for the run).
 * `env` is exported to the steps (e.g. LD_PRELOAD without any service, to test refusals).
 */
export async function runInNamespace(
  steps: Step[],
  options: {
    socketPath?: string;
    freshService?: boolean;
    cli?: string;
    env?: Record<string, string>;
  } = {},
): Promise<NamespaceRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-ns-'));
  try {
    const stepLines = [
      'set -u',
      ...Object.entries(options.env ?? {}).map(([name, value]) => `export ${name}=${quote(value)}`),
      `step() { n=$1; in=$2; shift 2; "$@" <"$in" >"${dir}/$n.out" 2>"${dir}/$n.err"; echo $? >"${dir}/$n.rc"; }`,
    ];
    steps.forEach((step, i) => {
      const program = PROGRAMS[step.program];
      if (!program) throw new Error(`${step.program} is not installed`);
      stepLines.push(
        `step ${i} ${quote(step.stdinFile ?? '/dev/null')} ${[program, ...(step.args ?? [])].map(quote).join(' ')}`,
      );
    });
    const stepsFile = join(dir, 'steps.sh');
    writeFileSync(stepsFile, `${stepLines.join('\n')}\n`);
    const cli = options.cli ?? CLI;
    const through = options.socketPath
      ? [process.execPath, cli, 'exec', '--socket', options.socketPath, '--']
      : options.freshService
        ? [process.execPath, cli, 'exec', '--']
        : [];
    const lines = [
      // Our own lock file: parallel runs (kernel and bpfilter side) must not wait on /run/xtables.lock.
      `export XTABLES_LOCKFILE=${quote(join(dir, 'xtables.lock'))}`,
      `${[...through, 'sh', stepsFile].map(quote).join(' ')} 2>"${dir}/exec.err"`,
      `echo $? >"${dir}/exec.rc"`,
      // The namespace's own kernel, read without the preload: must stay empty on the bpfilter side.
      `env -u LD_PRELOAD ${quote(PROGRAMS.save!)} >"${dir}/kernel.save" 2>&1`,
      `env -u LD_PRELOAD cat /proc/net/ip_tables_names >"${dir}/kernel.names" 2>&1`,
    ];
    const script = join(dir, 'run.sh');
    writeFileSync(script, `${lines.join('\n')}\n`);
    await new Promise<void>((resolve, reject) => {
      execFile(
        'unshare',
        ['-n', 'sh', script],
        { env: withoutPreload(process.env), timeout: 90_000 },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    const execStatus = Number(read('exec.rc').trim());
    if (execStatus !== 0)
      throw new Error(
        `${through.length ? 'bpfilter exec' : 'sh'} ended with ${execStatus}: ${read('exec.err')}`,
      );
    return {
      results: steps.map((step, i) => ({
        step,
        stdout: read(`${i}.out`),
        stderr: read(`${i}.err`),
        status: Number(read(`${i}.rc`).trim()),
      })),
      kernelSave: read('kernel.save'),
      kernelTableNames: read('kernel.names'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withoutPreload(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.LD_PRELOAD;
  delete copy.BPFILTER_SOCKET;
  return copy;
}

/** iptables-save text without the `# Generated/Completed` comment lines (they carry timestamps). */
export function withoutSaveComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

/**
 * What the steps of a run (from step `from`) show a user: each command, its exit status, its
 * stdout (iptables-save's without the timestamp comments) and stderr. Two runs of the same
 * steps, a kernel's and bpfilter's, must show the same.
 */
export function shownResults(run: NamespaceRun, from = 0) {
  return run.results.slice(from).map((r) => ({
    command: [r.step.program, ...(r.step.args ?? [])].join(' '),
    status: r.status,
    stdout: r.step.program === 'save' ? withoutSaveComments(r.stdout) : r.stdout,
    stderr: r.stderr,
  }));
}

/** iptables-save text with every `[packets:bytes]` counter zeroed ("counters aside"). */
export function withoutCounters(text: string): string {
  return text.replace(/\[\d+:\d+\]/g, '[0:0]');
}

/** A `bpfilter serve` child process on a fresh socket, for one test file. */
export interface ServiceProcess {
  socketPath: string;
  child: ChildProcess;
  /** The service's stderr so far. */
  readonly log: string;
  /** Pids of the service's children (the bpfilter handler, once started). */
  childPids(): number[];
  /** SIGTERM (or `signal`), wait for the exit; resolves how it ended. Removes its directory. */
  stop(signal?: NodeJS.Signals): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    /** Whether the socket file was still there after the exit. */
    socketLeft: boolean;
  }>;
}

/** The pids of `pid`'s children, of all its threads (a handler's sandbox, for a service). */
export function childPidsOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  });
}

/**
 * Starts `node dist/cli.js serve --socket <tmp> --verbose [...args]` (or another CLI's) and
 * waits until it listens.
 */
export async function startService(
  options: { cli?: string; args?: string[] } = {},
): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-svc-'));
  const socketPath = join(dir, 'bpfilter.sock');
  const child = spawn(
    process.execPath,
    [options.cli ?? CLI, 'serve', '--socket', socketPath, '--verbose', ...(options.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bpfilter serve did not start:\n${log}`)),
      15_000,
    );
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bpfilter serve exited with ${code}:\n${log}`));
    });
  });
  return {
    socketPath,
    child,
    get log() {
      return log;
    },
    childPids: () => childPidsOf(child.pid!),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      }
      const socketLeft = existsSync(socketPath);
      rmSync(dir, { recursive: true, force: true });
      return { code: child.exitCode, signal: child.signalCode, socketLeft };
    },
  };
}
