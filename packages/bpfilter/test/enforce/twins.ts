/**
 * Twin firewalls for the enforcement tests. Each twin is three network namespaces made by
 * the test (held open by a `sleep` in each, entered with nsenter): a client C, a firewall F
 * routing between C and a server S over veth pairs,
 *
 *     C 10.1.0.2 --- 10.1.0.1 F 10.2.0.1 --- 10.2.0.2 S   (topology.ts)
 *
 * In the `kernel` twin F's rules are the kernel's legacy tables (iptables-legacy-restore);
 * in the `bpfilter` twin they go through `bpfilter exec` to a `bpfilter serve --enforce`
 * running in F. Every peer answers TCP 22/80/8080/9000 and UDP 53/5353 with the address it
 * saw the connection come from. Nothing here touches the machine's own namespace (its
 * processes: namespace-process.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CLI, childPidsOf, which } from '../iptables/namespace.js';
import {
  holdNamespace,
  namespaceHolderPid,
  type Output,
  outputOf,
  runIn,
  spawnIn,
  untilLine,
} from './namespace-process.js';
import { tcpSettled } from './tcp-settled.js';
import { C, F, F2, S } from './topology.js';

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));
/** The table that lets each SYN and SYN-ACK leave C and S once (see the file). */
const ONE_SYN = fileURLToPath(new URL('./one-syn.nft', import.meta.url));

/** How long a probe expected to get no answer (a DROP) listens before it says `timeout`. */
export const SILENCE_MS = 700;
/** How long a probe expected to be answered may wait: on a loaded machine a peer's answer can
 * take far longer than SILENCE_MS, and a late answer must not read as a DROP. */
export const ANSWER_MS = 10_000;

/** The wait for a probe whose expected outcome is `expected`. */
export function waitFor(expected: string): number {
  return expected === 'timeout' ? SILENCE_MS : ANSWER_MS;
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

  /**
   * What F holds now, for a failed parity check to explain itself: its connections
   * (conntrack), `iptables-save -c` and nft's ruleset, and the end of the service's log.
   */
  async firewallState(): Promise<string> {
    const [conntrack, saved, nft] = await Promise.all([
      this.run('F', ['cat', '/proc/net/nf_conntrack']),
      this.iptables('iptables-legacy-save', ['-c']),
      this.run('F', ['nft', 'list', 'ruleset']),
    ]);
    return [
      `== ${this.flavour} twin, F's conntrack`,
      conntrack.stdout || conntrack.stderr,
      '== iptables-save -c',
      saved.stdout || saved.stderr,
      '== nft list ruleset',
      nft.stdout || nft.stderr,
      ...(this.flavour === 'bpfilter' ? ['== service log', this.#serviceLog.slice(-4000)] : []),
    ].join('\n');
  }

  /**
   * Empties the connection tables of C, F and S, so that a test's first packets are new in
   * both twins whatever earlier tests left (conntrack keeps a UDP flow 30 s, an established
   * TCP one for days): a fresh probe meeting an older flow's entry would be ESTABLISHED in one
   * twin and NEW in the other.
   */
  async forgetConnections(): Promise<void> {
    for (const node of ['C', 'F', 'S'] as const) await this.#must(node, ['conntrack', '-F']);
  }

  /** Runs `argv` in namespace `node`. */
  run(node: Node, argv: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Output> {
    const pid = this.#pids.get(node);
    if (pid === undefined) throw new Error(`no namespace ${node}`);
    return runIn(pid, argv, { ...this.#lockEnv(), ...env }, input);
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
    const argv = this.#iptablesArgv(program, args);
    const child = spawnIn(this.#pids.get('F')!, argv, this.#lockEnv(), 'pipe');
    this.#children.push(child);
    return { stdin: child.stdin!, output: outputOf(child) };
  }

  /** The xtables lock of this twin's own (a run's iptables programs wait on no other's). */
  #lockEnv(): NodeJS.ProcessEnv {
    return { XTABLES_LOCKFILE: join(this.#dir, 'xtables.lock') };
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

  /**
   * TCP connect or one UDP datagram from `from` to `host:port`, waiting up to `ms` for it;
   * from source port `sport` if given.
   */
  async probe(
    from: Node,
    kind: 'tcp' | 'udp',
    host: string,
    port: number,
    ms = SILENCE_MS,
    sport?: number,
  ): Promise<string> {
    const out = await this.run(from, [
      process.execPath,
      PEER,
      kind,
      host,
      String(port),
      String(ms),
      ...(sport === undefined ? [] : [String(sport)]),
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
      const holder = holdNamespace();
      this.#children.push(holder);
      this.#pids.set(node, await namespaceHolderPid(holder));
    }
    const firewallPid = String(this.#pids.get('F'));
    const sh = (node: Node, script: string) => this.#must(node, ['sh', '-ec', script]);
    await sh('C', `ip link add c0 type veth peer name fc netns ${firewallPid}`);
    await sh('S', `ip link add s0 type veth peer name fs netns ${firewallPid}`);
    await sh(
      'C',
      `ip link set lo up; ip addr add ${C}/24 dev c0; ip link set c0 up; ip route add default via ${F}`,
    );
    await sh(
      'S',
      `ip link set lo up; ip addr add ${S}/24 dev s0; ip link set s0 up; ip route add default via ${F2}`,
    );
    // No ICMP error rate limit on the firewall: scenarios run back to back on a quiet machine
    // and the per-peer token bucket would swallow the REJECTs' ICMP errors in both twins.
    // No ICMP redirects either: F sends one when it forwards a packet out of the interface it
    // came in on (a hairpin DNAT), at most as often as a per-host backoff in time allows, so
    // F's OUTPUT counted one redirect more in one twin than in the other (Podman's case).
    await sh(
      'F',
      `ip link set lo up; ip addr add ${F}/24 dev fc; ip link set fc up; ip addr add ${F2}/24 dev fs; ip link set fs up; echo 1 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/icmp_ratelimit; for conf in all default fc fs; do echo 0 > /proc/sys/net/ipv4/conf/$conf/send_redirects; done`,
    );
    for (const node of ['C', 'S'] as const) await sh(node, `nft -f ${ONE_SYN}`);
    for (const node of ['C', 'F', 'S'] as const)
      await this.#spawnUntil(node, [process.execPath, PEER, 'listen'], 'stdout', 'listening');
    if (this.flavour === 'bpfilter') await this.#startService();
  }

  async #startService(): Promise<void> {
    const service = await this.#spawnUntil(
      'F',
      [process.execPath, CLI, 'serve', '--enforce', '--verbose', ...this.#serviceFiles()],
      'stderr',
      'listening on',
      { NODE_DEBUG: 'bpfilter' },
    );
    service.stderr?.on('data', (chunk: Buffer) => (this.#serviceLog += chunk.toString()));
    this.#service = service;
  }

  /** `serve`'s socket and state file options. */
  #serviceFiles(): string[] {
    return ['--socket', this.socketPath, '--state', this.stateFile];
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
    const child = spawnIn(this.#pids.get(node)!, argv, env);
    this.#children.push(child);
    return untilLine(child, stream, line, argv.join(' '));
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
