import type { ContainmentRequest } from './containment.js';

/** Sandbox settings of a handler process. */
export interface SandboxOptions {
  /** JS handlers: run under Node's permission model (no fs writes, child processes, workers, addons, WASI). Default `true`. Ignored for native handlers. */
  permission?: boolean;
  /**
   * Run the handler as this user id. A root host runs handlers as 65534 (`nobody`) unless this
   * says otherwise; `0` keeps root. Another host needs privileges to set it.
   */
  uid?: number;
  /** Run the handler as this group id (default: 65534 on a root host, 0 when `uid` is 0). */
  gid?: number;
  /**
   * What ends the handler's descendants with it, and the handler with its host (`'auto'`: a
   * PID namespace where the host can make one, else the process group). `'pid-namespace'`
   * fails the start with `UMD_START_FAILED` where none can be made.
   */
  containment?: ContainmentRequest;
  /**
   * Run the handler in an OS sandbox made by bubblewrap (`bwrap`): no network, the file system
   * read-only except its private directory, an empty private `/tmp`, a fresh `/dev` and `/proc`,
   * its own PID namespace, no capabilities (false). Where the host cannot make one (bwrap
   * missing, no privileges or user namespaces) the start fails with `UMD_START_FAILED` saying so.
   */
  bubblewrap?: boolean;
  /** JS handlers: V8 old-space cap in MiB (`--max-old-space-size`). Default: Node's own. */
  maxOldSpaceSizeMb?: number;
  /**
   * JS handlers: V8 collects garbage on the handler's main thread only, with no helper threads
   * (`--single-threaded-gc`): less CPU per collection, longer pauses. Default `false` for a
   * manager; a pool with at least as many instances as cores (`instances: 'auto'`) sets it
   * unless told otherwise: there every core already runs a handler, so a helper thread can only
   * take CPU from another instance or the host, and the handler's main thread waits for it.
   */
  singleThreadedGc?: boolean;
  /**
   * JS handlers: the least size of each of V8's two young-generation semi-spaces, in MiB
   * (`--min-semi-space-size`; 0: V8's own sizing). A larger young generation collects less often.
   * Default 0 for a manager; a pool with at least as many instances as cores sets 8 unless told
   * otherwise: a handler serving allocation-heavy requests back to back kept a young generation of
   * 4 MiB where a worker thread's grew to 16 MiB and more, and collected it several times as
   * often. Each MiB here adds up to 2 MiB to the handler's memory.
   */
  minSemiSpaceSizeMb?: number;
}

/**
 * V8 flags the manager gives a JS handler with its allocator settings (`transport.tuneAllocator`),
 * for a V8 of version `v8Version`. V8 13 (Node 24) frees young `ArrayBuffer`s at a scavenge only
 * once two of its semi-spaces' worth of them are out (128 MiB on Node's 64-bit builds), yet starts
 * a mark-compact once external memory has grown 64 MiB: a handler reading each large request into
 * a fresh buffer never got a scavenge in, and paid for a mark-compact of its whole heap every few
 * requests instead. With the young generation capped at 8 MiB, as Node 22 has it by default, they
 * die young again. V8 12 (Node 22) has that cap already, V8 11 (Node 20) and V8 14 (Node 26, which
 * no longer knows the flag) scavenge in time: they get nothing.
 */
export function tunedNodeFlags(v8Version: string = process.versions.v8): readonly string[] {
  return v8Version.startsWith('13.') ? ['--scavenger-max-new-space-capacity-mb=8'] : [];
}

/** The running Node's name for the permission switch, or `undefined` if it has none (Node < 20). */
export function permissionFlag(
  flags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags,
): string | undefined {
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

/**
 * Node arguments for a JS blob at `blobPath`: the permission model with read access to the
 * blob only (no `--allow-*` grants for writes, child processes, workers, addons or WASI),
 * a quiet experimental warning, the memory cap, and the garbage collector's threads and young
 * generation.
 */
export function nodeArgsFor(
  blobPath: string,
  sandbox: SandboxOptions = {},
  flags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags,
): string[] {
  const args: string[] = [];
  if (sandbox.permission !== false) {
    const flag = permissionFlag(flags);
    if (flag === undefined)
      throw new Error(
        'this Node has no permission model; pass sandbox.permission = false to run unsandboxed',
      );
    args.push(flag, `--allow-fs-read=${blobPath}`);
    // The "Permission is an experimental feature" warning would otherwise open every stderr tail.
    if (flags.has('--disable-warning')) args.push('--disable-warning=ExperimentalWarning');
  }
  if (sandbox.maxOldSpaceSizeMb !== undefined)
    args.push(`--max-old-space-size=${sandbox.maxOldSpaceSizeMb}`);
  if (sandbox.singleThreadedGc === true) args.push('--single-threaded-gc');
  if (sandbox.minSemiSpaceSizeMb) args.push(`--min-semi-space-size=${sandbox.minSemiSpaceSizeMb}`);
  args.push(blobPath);
  return args;
}
