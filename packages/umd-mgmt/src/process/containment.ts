import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { debug } from '../observability/debug-log.js';
import {
  bubblewrapArgs,
  HAND_OVER_INSIDE,
  HAND_OVER_OUTSIDE,
  probeBubblewrap,
} from './bubblewrap.js';
import { inheritableFds } from './inheritable-fds.js';
import { findLauncher, type Launcher } from './launcher.js';
import { behindParentCheck, checkingParent } from './parent-check.js';
import {
  findSupervisor,
  NAMESPACE_INIT,
  SUPERVISE,
  type Supervisor,
} from './pid-namespace-supervisor.js';

/**
 * What keeps a handler's processes from outliving it and its host:
 * - `pid-namespace`: the handler runs in a PID namespace of its own, as pid 2 under a minimal
 *   init that passes signals on to the handler's process group and reaps orphans (a handler that
 *   were the namespace's init would get no signal it does not handle); when the handler ends the
 *   init exits and the kernel kills every process it started (a `setsid()` one included); the
 *   namespace goes when its supervisor (the launcher, launcher.ts, or a shell behind `unshare`,
 *   see `SUPERVISE`, whose own parent-death signal fires when the host dies, SIGKILL included)
 *   goes.
 * - `process-group`: its own process group, signalled as a whole by `stop()` and the host's
 *   exit hooks, plus a parent-death signal; a descendant that leaves the group (`setsid()`)
 *   escapes both, and survives a SIGKILLed host.
 */
export type ContainmentKind = 'pid-namespace' | 'process-group';

/** What the caller asks for: the best available (`auto`), or one kind exactly. */
export type ContainmentRequest = 'auto' | ContainmentKind;

/** How to spawn a handler: the program, its arguments, and the containment it gets. */
export interface SpawnPlan {
  file: string;
  args: string[];
  containment: ContainmentKind;
  /** Credentials Node's spawn must set itself (no `setpriv` to do it). */
  spawnCredentials: Credentials | undefined;
}

/** The handler's credentials, when it must run as someone other than the host. */
export interface Credentials {
  uid: number;
  gid: number;
}

// Fixed system directories, never the host's PATH: a writable PATH entry must not decide
// what runs as root in front of every handler.
const SYSTEM_BIN = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

function systemProgram(name: string): string | undefined {
  for (const dir of SYSTEM_BIN) {
    const path = `${dir}/${name}`;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Closes every descriptor above 2 that reached the shell (those the host inherited without
 * close-on-exec; Node opens its own with it), then execs the handler through `env` (`$0`),
 * which drops the one variable bash exports by itself. Run as the handler's user, last before
 * the handler; `--posix --norc` so no `BASH_ENV` or `.bashrc` is read.
 */
const CLOSE_INHERITED_FDS =
  'for f in /proc/self/fd/*; do f=${f##*/}; if [[ $f =~ ^[0-9]+$ ]] && ((f > 2)); then exec {f}>&-; fi; done; unset PWD OLDPWD';

/** {@link CLOSE_INHERITED_FDS}, then the handler replaces the shell. */
const CLOSING_FDS = `${CLOSE_INHERITED_FDS}; exec "$0" -u SHLVL -- "$@"`;

/**
 * {@link CLOSE_INHERITED_FDS}, then the shell stays as the PID namespace's init, the handler its
 * child (see `NAMESPACE_INIT`).
 */
const CLOSING_FDS_AS_INIT = `${CLOSE_INHERITED_FDS}\n${NAMESPACE_INIT}`;

interface Tools {
  /** Closes inherited descriptors before the handler runs (see {@link CLOSE_INHERITED_FDS}). */
  bash: string | undefined;
  /** The PID namespace's supervisor (see `SUPERVISE`), where a shell is installed. */
  supervisor: Supervisor | undefined;
  env: string | undefined;
  setpriv: string | undefined;
  unshare: string | undefined;
  /** Why no PID namespace can be made, or undefined when one can. */
  noPidNamespace: string | undefined;
  /** `unshare` needs a user namespace too (the host is not root). */
  userNamespace: boolean;
}

let probed: Promise<Tools> | undefined;
/** The launcher, looked for once per host process; the chain's tools are then not needed. */
let launched: Promise<Launcher | undefined> | undefined;

/** Finds `setpriv` and `unshare` and tries a PID namespace once per host process. */
export function probeContainment(): Promise<Tools> {
  probed ??= (async (): Promise<Tools> => {
    const bash = systemProgram('bash');
    const env = systemProgram('env');
    const setpriv = systemProgram('setpriv');
    const unshare = systemProgram('unshare');
    const userNamespace = process.geteuid?.() !== 0;
    if (unshare === undefined || setpriv === undefined)
      return {
        bash,
        supervisor: undefined,
        env,
        setpriv,
        unshare,
        userNamespace,
        noPidNamespace: 'util-linux setpriv and unshare are not installed',
      };
    const trial = [...(userNamespace ? ['--user'] : []), '--pid', '--fork', '--kill-child', 'true'];
    const [noPidNamespace, supervisor] = await Promise.all([
      new Promise<string | undefined>((resolve) => {
        execFile(unshare, trial, { timeout: 5000 }, (error, _out, stderr) =>
          resolve(
            error === null
              ? undefined
              : `unshare ${trial.join(' ')} failed: ${String(stderr).trim() || error.message}`,
          ),
        );
      }),
      findSupervisor(systemProgram),
    ]);
    return { bash, supervisor, env, setpriv, unshare, userNamespace, noPidNamespace };
  })();
  return probed;
}

/**
 * The command line that runs `command args` contained as asked, under `credentials` (then
 * supplementary groups cleared), with no-new-privileges and a parent-death SIGKILL at every
 * step (the first checked against a host that died before it was set: parent-check.ts), so
 * nothing survives a SIGKILLed host; last, as the handler's user, a shell closes every
 * descriptor above 2 the host would pass on (where `bash` is installed), so the handler holds
 * stdin, stdout and stderr only.
 * @throws Error naming what is missing when `request` is `pid-namespace` and none can be made.
 */
export async function planSpawn(
  command: string,
  args: readonly string[],
  request: ContainmentRequest,
  credentials: Credentials | undefined,
  osSandbox?: { privateDir: string },
): Promise<SpawnPlan> {
  if (osSandbox === undefined) {
    launched ??= findLauncher();
    const launcher = await launched;
    if (launcher !== undefined && (request !== 'pid-namespace' || launcher.pidNamespace))
      return planLaunched(launcher, command, args, request, credentials);
  }
  const tools = await probeContainment();
  if (osSandbox !== undefined) return planSandboxed(tools, command, args, credentials, osSandbox);
  if (request === 'pid-namespace' && tools.noPidNamespace !== undefined)
    throw new Error(`no PID namespace for the handler: ${tools.noPidNamespace}`);
  const run = closingFds(tools, command, args, false);
  if (tools.setpriv === undefined) {
    // No util-linux: the process group alone (credentials go through Node's spawn).
    return {
      file: run[0]!,
      args: run.slice(1),
      containment: 'process-group',
      spawnCredentials: credentials,
    };
  }
  if (request === 'process-group' || tools.noPidNamespace !== undefined)
    return {
      file: tools.setpriv,
      args: [...dropArgs(credentials), ...behindParentCheck(tools.supervisor, run)],
      containment: 'process-group',
      spawnCredentials: undefined,
    };
  // The namespace's first process, the handler's setpriv, sets its parent-death SIGKILL
  // (dropArgs): the supervisor's death ends it and the namespace. Its shell stays as the
  // namespace's init, the handler its child (NAMESPACE_INIT). Without a shell, unshare forks and
  // waits itself, holding the handler's pipes.
  const { supervisor } = tools;
  const handler = [...dropArgs(credentials), ...closingFds(tools, command, args, true)];
  // The init traps SIGINT and SIGQUIT to pass them on, which a shell cannot do for a signal
  // ignored when it starts (as they are in the supervisor's asynchronous command).
  const resetSignals = tools.bash !== undefined || command !== process.execPath;
  const supervise =
    supervisor === undefined
      ? ['--fork', '--kill-child=KILL', '--']
      : [
          '--',
          ...supervisor.shell,
          '-c',
          checkingParent(SUPERVISE),
          ...supervisor.before(resetSignals),
        ];
  return {
    file: tools.setpriv,
    args: [
      // With the supervisor, the host's death is its USR2 (SUPERVISE): it then kills the
      // handler itself, which may not have armed its own signal yet.
      `--pdeathsig=${supervisor === undefined ? 'KILL' : 'USR2'}`,
      '--',
      tools.unshare!,
      ...(tools.userNamespace ? ['--user'] : []),
      '--pid',
      ...supervise,
      tools.setpriv,
      ...handler,
    ],
    containment: 'pid-namespace',
    spawnCredentials: undefined,
  };
}

/**
 * The launcher's command line: the same guarantees as the chain's (the launcher's parent-death
 * signal checked against the host, the namespace and its supervisor, the credentials,
 * no-new-privileges, the handler's own parent-death signal, default signals, no descriptor
 * above 2), in one exec.
 */
function planLaunched(
  launcher: Launcher,
  command: string,
  args: readonly string[],
  request: ContainmentRequest,
  credentials: Credentials | undefined,
): SpawnPlan {
  const namespace = request !== 'process-group' && launcher.pidNamespace;
  return {
    file: launcher.file,
    args: [
      `--parent=${process.pid}`,
      ...(namespace ? ['--pid-namespace'] : []),
      ...(namespace && launcher.userNamespace ? ['--user-namespace'] : []),
      ...(credentials ? [`--uid=${credentials.uid}`, `--gid=${credentials.gid}`] : []),
      '--',
      command,
      ...args,
    ],
    containment: namespace ? 'pid-namespace' : 'process-group',
    spawnCredentials: undefined,
  };
}

/**
 * `command args` behind the shell that closes inherited descriptors, where `bash` and `env` are
 * installed. Always: whether the host holds a descriptor without close-on-exec is a snapshot,
 * and another thread of the host (Node's own: c-ares opens `/etc/resolv.conf` so for each new
 * resolver) may open one between it and the fork; only the child can close what it really got.
 */
function closingFds(
  tools: Tools,
  command: string,
  args: readonly string[],
  asInit: boolean,
): string[] {
  if (tools.bash === undefined || tools.env === undefined) return [command, ...args];
  if (debug.enabled) {
    const held = inheritableFds();
    debug(
      'the host holds descriptors without close-on-exec: %s; a shell closes what reaches the handler',
      held === undefined ? 'unknown' : held.join(', ') || 'none now',
    );
  }
  return [
    tools.bash,
    '--norc',
    '--noprofile',
    '--posix',
    '-c',
    asInit ? CLOSING_FDS_AS_INIT : CLOSING_FDS,
    tools.env,
    command,
    ...args,
  ];
}

/** The credential drop and last safeguards run as the first thing in every handler's chain. */
function dropArgs(credentials: Credentials | undefined): string[] {
  const drop = credentials
    ? [
        `--reuid=${credentials.uid}`,
        `--regid=${credentials.gid}`,
        '--clear-groups',
        '--inh-caps=-all',
      ]
    : [];
  // The parent-death signal is set after the credentials change (which would clear it).
  return [...drop, '--no-new-privs', '--pdeathsig=KILL', '--'];
}

/**
 * `sandbox.bubblewrap`: setpriv (parent-death signal) -> bwrap (its own PID namespace, see
 * {@link bubblewrapArgs}) -> setpriv (credentials, no capability left) -> the fd-closing shell -> handler.
 */
async function planSandboxed(
  tools: Tools,
  command: string,
  args: readonly string[],
  credentials: Credentials | undefined,
  { privateDir }: { privateDir: string },
): Promise<SpawnPlan> {
  const found = await probeBubblewrap();
  if ('missing' in found) throw new Error(found.missing);
  if (tools.setpriv === undefined)
    throw new Error('sandbox.bubblewrap needs util-linux setpriv, which is not installed');
  const bounding = credentials ? ['--bounding-set=-all'] : [];
  // Without a shell, bwrap's own processes hold the handler's stdin and stdout.
  const { supervisor } = tools;
  const handOver = (script: string) =>
    supervisor === undefined
      ? []
      : [...supervisor.shell, '-c', script, ...supervisor.before(false)];
  return {
    file: tools.setpriv,
    args: [
      '--pdeathsig=KILL',
      '--',
      ...handOver(checkingParent(HAND_OVER_OUTSIDE)),
      found.bwrap,
      ...bubblewrapArgs(privateDir, credentials !== undefined, command),
      '--',
      ...handOver(HAND_OVER_INSIDE),
      tools.setpriv,
      ...bounding,
      ...dropArgs(credentials),
      ...closingFds(tools, command, args, false),
    ],
    containment: 'pid-namespace',
    spawnCredentials: undefined,
  };
}

/** The uid every handler of a root host runs as unless told otherwise (`nobody`). */
export const UNPRIVILEGED_ID = 65534;

/**
 * Who the handler runs as. A root host runs it as `sandbox.uid`/`sandbox.gid`, by default
 * {@link UNPRIVILEGED_ID} for both; only an explicit `uid: 0` keeps root (then gid 0 by default).
 * Another host runs it as itself unless given ids (which then need privileges).
 * Undefined: the host's own credentials.
 */
export function handlerCredentials(
  uid: number | undefined,
  gid: number | undefined,
  hostUid = process.geteuid?.(),
  hostGid = process.getegid?.(),
): Credentials | undefined {
  const root = hostUid === 0;
  const wantUid = uid ?? (root ? UNPRIVILEGED_ID : hostUid);
  const wantGid = gid ?? (wantUid === 0 ? 0 : root ? UNPRIVILEGED_ID : hostGid);
  if (wantUid === undefined || wantGid === undefined) return undefined;
  if (wantUid === hostUid && wantGid === hostGid) return undefined;
  return { uid: wantUid, gid: wantGid };
}
