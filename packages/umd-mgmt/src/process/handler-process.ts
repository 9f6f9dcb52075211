import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { ReplySocket, StdioSockets } from '@umd/core';
import type { Loader } from '../loader/loader-types.js';
import { debug } from '../observability/debug-log.js';
import { type StagedBlob, stageBlob } from './blob-stage.js';
import { type ContainmentKind, handlerCredentials } from './containment.js';
import { buildHandlerEnv, TUNED_ALLOCATOR_ENV } from './clean-env.js';
import { type ExitInfo, signalGroup, trackExit } from './exit-tracker.js';
import { channelStreams, type HandlerStdio, openHandlerStdio } from './handler-stdio.js';
import { trackHandlerGroup, untrackHandlerGroup } from './host-exit-cleanup.js';
import type { LineTail } from './line-tail.js';
import type { SandboxOptions } from './node-flags.js';
import { inheritSessionNice } from './session-nice.js';
import { spawnHandler } from './spawn-handler.js';
import { readStderr, STDERR_LIMITS } from './stderr-reader.js';

export type { ExitInfo } from './exit-tracker.js';

/** Options of {@link HandlerProcess.start}. */
export interface HandlerProcessOptions {
  loader: Loader;
  env?: Readonly<Record<string, string>>;
  sandbox?: SandboxOptions;
  stagingDir?: string;
  /** Largest blob accepted (see `readBlob`). */
  maxBlobBytes?: number;
  /** The handler's fd 1 is a reply socket rather than Node's stdio pipe (default false). */
  replySocket?: boolean;
  /** The handler's fd 0 and fd 1 are `openStdioSockets()` where it works, unless `replySocket` (default true). */
  stdioSockets?: boolean;
  /** Add {@link TUNED_ALLOCATOR_ENV} to the handler's environment and, for JS, `tunedNodeFlags()` (default). */
  tuneAllocator?: boolean;
  /** Number of stderr lines kept for error reports. */
  stderrTailLines?: number;
  /** Called for complete stderr lines, at most `STDERR_LIMITS.linesPerSecond`. */
  onStderrLine?: (line: string, pid: number) => void;
  /** Called with the number of stderr lines not given to `onStderrLine` (over the rate). */
  onStderrDropped?: (lines: number) => void;
}

type Refable = { unref?: () => void } | null;
const unrefStream = (stream: unknown) => (stream as Refable)?.unref?.();

/**
 * One handler process: a verified private copy of the blob, spawned without a shell in its
 * own process group (so the whole group can be signalled), with a clean environment, stdin and
 * stdout as socketpairs the host made (or Node's pipes, or a reply socket as stdout) and stderr
 * read at a bounded cost (see `readStderr`).
 */
export class HandlerProcess {
  /** The child process (its stdin and stdout are the channel unless stdio sockets or a reply socket are used). */
  readonly child: ChildProcess;
  /**
   * The pid the host spawned, which is also the process group id: the handler itself, or
   * with `pid-namespace` containment its supervisor (the launcher, or `unshare` then a shell), whose exit is the handler's.
   */
  readonly pid: number;
  /** What ends its descendants with it, and it with the host. */
  readonly containment: ContainmentKind;
  /** The reply socket that is the handler's fd 1 (then `child.stdout` is null), if one is used. */
  readonly replySocket: ReplySocket | undefined;
  /** The socketpairs that are the handler's fd 0 and fd 1 (then `child.stdin` and `child.stdout` are null), if used. */
  readonly stdioSockets: StdioSockets | undefined;
  /** Where requests go: the handler's stdin. */
  readonly #input: Writable;
  /** Resolves once the process has exited and its stdio has closed. */
  readonly exited: Promise<ExitInfo>;
  readonly #tail: LineTail;
  readonly #staged: StagedBlob;
  #exitInfo: ExitInfo | undefined;
  #stopping: Promise<ExitInfo> | undefined;
  #referenced = true;

  private constructor(
    child: ChildProcess,
    containment: ContainmentKind,
    stdio: HandlerStdio,
    staged: StagedBlob,
    options: HandlerProcessOptions,
  ) {
    this.child = child;
    this.containment = containment;
    this.replySocket = stdio.replySocket;
    this.stdioSockets = stdio.stdioSockets;
    this.pid = child.pid!;
    // Where the handler's replies arrive (`output`): the channel reads this; its end means the
    // handler's fd 1 closed.
    const { input, output } = channelStreams(stdio, child);
    this.#input = input;
    this.#staged = staged;
    const pid = this.pid;
    trackHandlerGroup(pid);
    const onLine = options.onStderrLine;
    const stderr = readStderr(
      child.stderr!,
      { ...STDERR_LIMITS, tailLines: options.stderrTailLines ?? 32 },
      onLine && ((line) => onLine(line, pid)),
      options.onStderrDropped ?? (() => {}),
    );
    const tail = stderr.tail;
    this.#tail = tail;
    // A dead handler's pipes may error (EPIPE on write); the channel reports the fault. The
    // process's own later errors (a failed signal) are told by its exit.
    child.on('error', () => {});
    input.on('error', () => {});
    output.on('error', () => {});
    child.stderr!.on('error', () => {});
    // The pipes never hold the host's event loop open; the child handle alone does, while the
    // manager has work pending (see setReferenced): one cheap toggle per idle/busy transition.
    for (const stream of [input, output, child.stderr]) unrefStream(stream);
    this.exited = trackExit({
      child,
      input,
      output,
      ownOutput: output !== child.stdout,
      referenced: () => this.#referenced,
      onLeaderExit: () => stderr.drain(),
      beforeExited: async () => {
        const last = tail.end();
        if (last !== undefined) onLine?.(last, pid);
        // Gone before "exited": a host may process.exit() right after stop().
        await staged.remove();
        untrackHandlerGroup(pid);
      },
    }).then((exit) => {
      this.#exitInfo = exit;
      debug('handler %d exited: code %s signal %s', pid, exit.exitCode, exit.signal);
      return exit;
    });
  }

  /**
   * Verifies and stages the blob, opens the reply socket if asked for, spawns the blob and waits
   * until the process runs. On failure nothing is left: no process, no private copy, no socket.
   * @throws UmdError `UMD_BLOB_INTEGRITY` (nothing ran), `UMD_START_FAILED` (spawn or socket failed).
   */
  static async start(options: HandlerProcessOptions): Promise<HandlerProcess> {
    const { loader, sandbox = {} } = options;
    const credentials = handlerCredentials(sandbox.uid, sandbox.gid);
    const staged = await stageBlob(loader, {
      stagingDir: options.stagingDir,
      maxBlobBytes: options.maxBlobBytes,
      handlerGid: credentials?.gid,
    });
    let stdio: HandlerStdio | undefined;
    try {
      // A reply socket's path goes in the blob's private directory: no directory of its own.
      stdio = await openHandlerStdio(loader.name, options, staged.dir);
      const tuned = options.tuneAllocator !== false;
      const env = buildHandlerEnv(
        loader.mode,
        options.env,
        process.env,
        tuned ? TUNED_ALLOCATOR_ENV : {},
      );
      const { child, plan } = await spawnHandler({
        loader,
        staged,
        stdio,
        sandbox,
        credentials,
        env,
        tuned,
      });
      inheritSessionNice(child.pid!);
      // The child has its own copies of fd 0 and 1 now; the host's must go, or it would never see EOF.
      stdio.release();
      const handler = new HandlerProcess(child, plan.containment, stdio, staged, options);
      debug(
        'handler %s started: pid %d (%s, %s)',
        loader.name,
        handler.pid,
        loader.kind,
        stdio.kind,
      );
      // A native program run directly is exec'd by now: its file is no longer needed
      // (removed off the start's critical path). Behind setpriv/unshare it is exec'd later:
      // the manager removes it at HELLO (or the first raw reply), as for a JS handler.
      if (loader.kind === 'native' && plan.file === staged.file) void staged.remove();
      return handler;
    } catch (error) {
      stdio?.close();
      await staged.remove();
      throw error;
    }
  }

  /** Exit status once the process has exited, else `undefined`. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exitInfo;
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the handler's stderr, oldest first. */
  stderrTail(): string[] {
    return this.#tail.lines();
  }

  /** Removes the private copy of the blob (once the handler has loaded it). */
  removeBlob(): Promise<void> {
    return this.#staged.remove();
  }

  /** Sends `signal` to the handler's whole process group. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exitInfo === undefined) signalGroup(this.pid, signal);
  }

  /**
   * Stops the handler: close its stdin (a well-behaved handler exits 0), wait `graceMs`,
   * SIGTERM the group, wait `graceMs`, SIGKILL the group. With `pid-namespace` containment the
   * group is the supervisor and the namespace's init, which passes SIGTERM on to the handler's
   * own group (SIGKILL ends the init, and with it the namespace). Idempotent: later calls share
   * the first.
   */
  stop(graceMs: number): Promise<ExitInfo> {
    this.#stopping ??= (async () => {
      this.setReferenced(true);
      this.#input.end();
      if (await this.exitsWithin(graceMs)) return this.exited;
      debug('handler %d: still alive %d ms after stdin EOF, SIGTERM', this.pid, graceMs);
      this.kill('SIGTERM');
      if (await this.exitsWithin(graceMs)) return this.exited;
      debug('handler %d: still alive %d ms after SIGTERM, SIGKILL', this.pid, graceMs);
      this.kill('SIGKILL');
      return this.exited;
    })();
    return this.#stopping;
  }

  /**
   * Whether the handler keeps the host's event loop alive. The manager references it only
   * while work is pending, so an idle handler never keeps a finished host script running
   * (the host's exit hook then kills it).
   */
  setReferenced(referenced: boolean): void {
    if (referenced === this.#referenced) return;
    this.#referenced = referenced;
    if (referenced) this.child.ref();
    else this.child.unref();
  }

  /** Whether the process exits (on its own) within `ms`. */
  async exitsWithin(ms: number): Promise<boolean> {
    if (this.#exitInfo !== undefined) return true;
    const timer = new AbortController();
    try {
      return await Promise.race([
        this.exited.then(() => true),
        delay(ms, false, { signal: timer.signal }),
      ]);
    } finally {
      timer.abort();
    }
  }
}
