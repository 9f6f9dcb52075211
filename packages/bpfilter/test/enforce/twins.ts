/**
 * Twin firewalls for the enforcement tests. Each twin is three network namespaces made by
 * the test (held open by a `sleep` in each, entered with nsenter): a client C, a firewall F
 * routing between C and a server S over veth pairs,
 *
 *     C 10.1.0.2 --- 10.1.0.1 F 10.2.0.1 --- 10.2.0.2 S
 *
 * In the `kernel` twin F's rules are the kernel's legacy tables (iptables-legacy-restore);
 * in the `bpfilter` twin they go through `bpfilter exec` to a `bpfilter serve --enforce`
 * running in F. Every peer answers TCP 22/80/8080/9000 and UDP 53/5353 with the address it
 * saw the connection come from. Nothing here touches the machine's own namespace.
 */
import {
  type ChildProcess,
  execFile,
  type SpawnOptions,
  spawn,
  spawnSync,
} from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CLI, childPidsOf, PROGRAMS, which } from '../iptables/namespace.js';
import { tcpSettled } from './tcp-settled.js';

/**
 * Spawns `argv` to be killed when the test process ends, so a run that is killed (or times out
 * before its cleanup) leaves no namespace holder, peer or service behind.
 */
function spawnDyingWithTest(argv: string[], options: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], options);
}

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));

/** How long a probe expected to get no answer (a DROP) listens before it says `timeout`. */
export const SILENCE_MS = 700;
/** How long a probe expected to be answered may wait: on a loaded machine a peer's answer can
 * take far longer than SILENCE_MS, and a late answer must not read as a DROP. */
export const ANSWER_MS = 10_000;

/** The wait for a probe whose expected outcome is `expected`. */
export function waitFor(expected: string): number {
  return expected === 'timeout' ? SILENCE_MS : ANSWER_MS;
}

/** Why these tests cannot run here, or undefined when they can. */
export function missingEnforcePrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'enforcement tests need Linux network namespaces';
  for (const [program, pkg] of [
    ['nft', 'nftables'],
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
    ['setpriv', 'util-linux'],
    ['ping', 'iputils-ping'],
    ['iptables-legacy-restore', 'iptables'],
  ] as const)
    if (!which(program)) return `${program} is not installed (Debian package ${pkg})`;
  if (!PROGRAMS.save || !PROGRAMS.restore) return 'iptables-legacy is not installed';
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return '`unshare -n` does not work here';
  if (spawnSync('unshare', ['-n', 'nft', 'list', 'ruleset']).status !== 0)
    return 'nft does not work in a new network namespace';
  return undefined;
}

/** What a command printed. */
export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The iptables programs the twins run (legacy: the kernel's twin has its tables). */
export type IptablesProgram =
  | 'iptables-legacy'
  | 'iptables-legacy-save'
  | 'iptables-legacy-restore';

/** A program started with its stdin open. */
export interface StartedProgram {
  stdin: Writable;
  output: Promise<Output>;
}

/** The namespaces of one twin. */
export type Node = 'C' | 'F' | 'S';
/** Which tables F runs on. */
export type Flavour = 'kernel' | 'bpfilter';

/** One twin: three namespaces, peers listening, F's firewall of the given flavour. */
export class Twin {
  readonly flavour: Flavour;
  readonly #pids = new Map<Node, number>();
  readonly #children: ChildProcess[] = [];
  readonly #dir = mkdtempSync(join(tmpdir(), 'bpfilter-twin-'));
  /** The service's socket (bpfilter twin). */
  readonly socketPath = join(this.#dir, 'bpfilter.sock');
  /** The service's state file (bpfilter twin): `serve --state`. */
  readonly stateFile = join(this.#dir, 'tables.json');
  #serviceLog = '';
  #service: ChildProcess | undefined;

  private constructor(flavour: Flavour) {
    this.flavour = flavour;
  }

  /** Makes the namespaces, links, addresses, peers, and (bpfilter) the enforcing service. */
  static async create(flavour: Flavour): Promise<Twin> {
    const twin = new Twin(flavour);
    try {
      await twin.#build();
    } catch (error) {
      await twin.destroy();
      throw error;
    }
    return twin;
  }

  /** The service's stderr so far (bpfilter twin). */
  get serviceLog(): string {
    return this.#serviceLog;
  }

  /** The service's stderr stream (bpfilter twin): its `data` events say the log grew. */
  get serviceOutput(): Readable {
    const stderr = this.#service?.stderr;
    if (!stderr) throw new Error('no service in this twin');
    return stderr;
  }

  /**
   * How the service sent each transaction whose log came after `since` (an earlier
   * `serviceLog.length`): `netlink` (its batch helper) or `nft` (`nft -j -f`), from the step
   * lines the service prints under NODE_DEBUG=bpfilter.
   */
  appliedSince(since: number): string[] {
    const steps = this.#serviceLog.slice(since).matchAll(/^BPFILTER \d+: (netlink|nft) /gm);
    return [...steps].map((m) => m[1]!);
  }

  /** Runs `argv` in namespace `node`. */
  run(node: Node, argv: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Output> {
    const pid = this.#pids.get(node);
    if (pid === undefined) throw new Error(`no namespace ${node}`);
    return new Promise((resolve) => {
      const child = execFile(
        'nsenter',
        ['-t', String(pid), '-n', ...argv],
        {
          env: { ...cleanEnv(), XTABLES_LOCKFILE: join(this.#dir, 'xtables.lock'), ...env },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** Runs an iptables program against F's tables: the kernel's, or bpfilter's through exec. */
  async iptables(program: IptablesProgram, args: string[], input?: string): Promise<Output> {
    // Counters are read once the traffic before them has crossed F (tcp-settled.ts).
    if (program === 'iptables-legacy-save' && args.includes('-c'))
      await tcpSettled((node, argv) => this.run(node, argv));
    return this.run('F', this.#iptablesArgv(program, args), input);
  }

  /**
   * Starts an iptables program as {@link iptables} runs it, its stdin left to the caller (to
   * write a restore's lines one at a time); `output` settles when it exits.
   */
  startIptables(program: IptablesProgram, args: string[]): StartedProgram {
    const pid = String(this.#pids.get('F'));
    const child = spawnDyingWithTest(
      ['nsenter', '-t', pid, '-n', ...this.#iptablesArgv(program, args)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...cleanEnv(), XTABLES_LOCKFILE: join(this.#dir, 'xtables.lock') },
      },
    );
    this.#children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const output = once(child, 'close').then(([code]) => ({
      code: code as number | null,
      stdout,
      stderr,
    }));
    return { stdin: child.stdin!, output };
  }

  #iptablesArgv(program: IptablesProgram, args: string[]): string[] {
    const path = which(program) ?? program;
    return this.flavour === 'kernel'
      ? [path, ...args]
      : [process.execPath, CLI, 'exec', '--socket', this.socketPath, '--', path, ...args];
  }

  /** `iptables-restore` of `rules` into F (all tables in the text). */
  async restore(rules: string): Promise<Output> {
    return this.iptables('iptables-legacy-restore', [], rules);
  }

  /** TCP connect or one UDP datagram from `from` to `host:port`, waiting up to `ms` for it. */
  async probe(
    from: Node,
    kind: 'tcp' | 'udp',
    host: string,
    port: number,
    ms = SILENCE_MS,
  ): Promise<string> {
    const out = await this.run(from, [
      process.execPath,
      PEER,
      kind,
      host,
      String(port),
      String(ms),
    ]);
    return out.stdout.trim() || `failed: ${out.stderr.trim()}`;
  }

  /** One ICMP echo from `from`: `reply`, the ICMP error ping names, or `timeout` after `ms`. */
  async ping(from: Node, host: string, ms = SILENCE_MS): Promise<string> {
    const seconds = String(Math.max(1, Math.ceil(ms / 1000)));
    const out = await this.run(from, ['ping', '-n', '-c', '1', '-W', seconds, host]);
    if (/ bytes from /.test(out.stdout)) return 'reply';
    const error = /From \S+ icmp_seq=\d+ (.+)/.exec(out.stdout);
    return error ? error[1]!.trim() : 'timeout';
  }

  async #build(): Promise<void> {
    for (const node of ['C', 'F', 'S'] as const) {
      // It says so once it is in its own namespace; its pid stays through each exec.
      const holder = spawnDyingWithTest(
        ['unshare', '-n', 'sh', '-c', 'echo in; exec sleep infinity'],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      this.#children.push(holder);
      this.#pids.set(node, await namespaceHolderPid(holder));
    }
    const F = String(this.#pids.get('F'));
    const sh = (node: Node, script: string) => this.#must(node, ['sh', '-ec', script]);
    await sh('C', `ip link add c0 type veth peer name fc netns ${F}`);
    await sh('S', `ip link add s0 type veth peer name fs netns ${F}`);
    await sh(
      'C',
      'ip link set lo up; ip addr add 10.1.0.2/24 dev c0; ip link set c0 up; ip route add default via 10.1.0.1',
    );
    await sh(
      'S',
      'ip link set lo up; ip addr add 10.2.0.2/24 dev s0; ip link set s0 up; ip route add default via 10.2.0.1',
    );
    // No ICMP error rate limit on the firewall: scenarios run back to back on a quiet machine
    // and the per-peer token bucket would swallow the REJECTs' ICMP errors in both twins.
    await sh(
      'F',
      'ip link set lo up; ip addr add 10.1.0.1/24 dev fc; ip link set fc up; ip addr add 10.2.0.1/24 dev fs; ip link set fs up; echo 1 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/icmp_ratelimit',
    );
    for (const node of ['C', 'F', 'S'] as const)
      await this.#spawnUntil(node, [process.execPath, PEER, 'listen'], 'stdout', 'listening');
    if (this.flavour === 'bpfilter') await this.#startService();
  }

  async #startService(): Promise<void> {
    const service = await this.#spawnUntil(
      'F',
      [
        process.execPath,
        CLI,
        'serve',
        '--enforce',
        '--verbose',
        '--socket',
        this.socketPath,
      ].concat('--state', this.stateFile),
      'stderr',
      'listening on',
      { NODE_DEBUG: 'bpfilter' },
    );
    service.stderr?.on('data', (chunk: Buffer) => (this.#serviceLog += chunk.toString()));
    this.#service = service;
  }

  /** The bpfilter twin's handler processes (its sandbox, children of the service). */
  handlerPids(): number[] {
    const pid = this.#service?.pid;
    return pid === undefined ? [] : childPidsOf(pid);
  }

  /**
   * Stops the bpfilter twin's service with `signal`, runs `whileStopped` (e.g. what a reboot
   * does to the kernel), and starts it again on the same state file. Resolves with how the
   * service exited.
   */
  async restartService(
    signal: NodeJS.Signals,
    whileStopped: () => Promise<unknown> = async () => {},
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const service = this.#service;
    if (service === undefined) throw new Error('no service in this twin');
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => {
        service.once('exit', (code, sig) => resolve({ code, signal: sig }));
        service.kill(signal);
      },
    );
    await whileStopped();
    await this.#startService();
    return result;
  }

  async #must(node: Node, argv: string[]): Promise<Output> {
    const out = await this.run(node, argv);
    if (out.code !== 0) throw new Error(`${node}: ${argv.join(' ')}: ${out.stderr}`);
    return out;
  }

  #spawnUntil(
    node: Node,
    argv: string[],
    stream: 'stdout' | 'stderr',
    line: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<ChildProcess> {
    const nsenter = ['nsenter', '-t', String(this.#pids.get(node)), '-n', ...argv];
    const child = spawnDyingWithTest(nsenter, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...cleanEnv(), ...env },
    });
    this.#children.push(child);
    let seen = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${argv.join(' ')}: no "${line}": ${seen}`)),
        20_000,
      );
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
        reject(new Error(`${argv.join(' ')} exited with ${code}: ${seen}`));
      });
    });
  }

  /** Ends every process of the twin (its namespaces go with the last of them). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.#children.reverse().map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The environment without a preload or a service of the outer test run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.BPFILTER_SOCKET;
  return env;
}

/** The pid of the program `unshare` became (unshare -n execs it in place). */
async function namespaceHolderPid(holder: ChildProcess): Promise<number> {
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
