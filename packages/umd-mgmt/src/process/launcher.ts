/**
 * The handler launcher: `native/umd_launcher.c`, built into this package's
 * `dist/native/umd-launcher` (scripts/build-launcher.mjs). One exec doing what the program
 * chain of containment.ts does in four or five (each about a millisecond of a cold start).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { debug } from '../observability/debug-log.js';

/** A launcher that passed its checks, and what it can do on this machine. */
export interface Launcher {
  file: string;
  /** It can make the handler a PID namespace of its own (else: the process group only). */
  pidNamespace: boolean;
  /** The namespace needs a user namespace too (the host is not root). */
  userNamespace: boolean;
}

/**
 * What `UMD_LAUNCHER` in the host's environment asks for: the program chain (as without a C
 * compiler) for `off`, `0`, `false` or `no`; the launcher when unset, empty, `on`, `1`, `true` or
 * `yes` (any case). Anything else is a typo that must not pass unnoticed: a warning, and the
 * launcher.
 */
export function launcherWanted(value: string | undefined): boolean {
  const asked = value?.trim().toLowerCase() ?? '';
  if (['off', '0', 'false', 'no'].includes(asked)) return false;
  if (!['', 'on', '1', 'true', 'yes'].includes(asked))
    process.emitWarning(
      `UMD_LAUNCHER=${JSON.stringify(value)} is not one of off, 0, false, no, on, 1, true, yes: the launcher is used`,
      { code: 'UMD_LAUNCHER_VALUE' },
    );
  return true;
}

/** S_ISVTX, which Node's `fs.constants` lacks. */
const STICKY = 0o1000;

/** S_ISUID and S_ISGID: a set-id launcher would run any command as anyone for any local user. */
const SET_ID = 0o6000;

/** Largest launcher read for its digest (a static build is under 1 MiB). */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * The launcher of this package, where it is built, verified and runs here; undefined (and
 * why, under `NODE_DEBUG=umd`) where the chain must do. Verified as the host's addon is, and
 * more: a regular file (no symlink, FIFO or device), not set-id, owned by root or the host's
 * user, writable by nobody else, nor is any directory above it (but a sticky one, like /tmp),
 * and its bytes the SHA-256 the build wrote beside it (a truncated or altered program is not
 * run). The packed package names it as its `bin` (`publishConfig`), so that it keeps its execute
 * bit (pnpm pack keeps it for those only); the workspace does not (it is built after the install,
 * which would warn for each package that links it). It lives beside this package's own code,
 * which the host runs anyway: whoever could replace it after the check could replace that code.
 * Never looked up on PATH; run by its real path (the directories checked are that path's).
 * @param file Where the launcher is: this package's `dist/native` (tests pass copies).
 */
export async function findLauncher(file?: string): Promise<Launcher | undefined> {
  if (!launcherWanted(process.env.UMD_LAUNCHER)) {
    debug(
      'containment: UMD_LAUNCHER=%s, handlers start through the program chain',
      process.env.UMD_LAUNCHER,
    );
    return undefined;
  }
  try {
    file = verify(file ?? launcherPath());
  } catch (error) {
    debug('containment: no launcher (%s); handlers start through the program chain', why(error));
    return undefined;
  }
  const userNamespace = process.geteuid?.() !== 0;
  const pidNamespace = await trial(file, [
    '--pid-namespace',
    ...(userNamespace ? ['--user-namespace'] : []),
  ]);
  // Without a namespace, it may still do the rest (process-group containment).
  const processGroup = pidNamespace === undefined ? undefined : await trial(file, []);
  if (processGroup !== undefined) {
    debug('containment: launcher %s fails its trial (%s); the program chain', file, processGroup);
    return undefined;
  }
  if (pidNamespace !== undefined)
    debug('containment: launcher %s makes no PID namespace here (%s)', file, pidNamespace);
  debug('containment: handlers start through the launcher %s', file);
  return { file, pidNamespace: pidNamespace === undefined, userNamespace };
}

function launcherPath(): string {
  const root = dirname(createRequire(import.meta.url).resolve('@umd/mgmt/package.json'));
  return join(root, 'dist', 'native', 'umd-launcher');
}

/** Checks the launcher (see {@link findLauncher}); returns the path to run it by. */
function verify(path: string): string {
  // Its directory's real path, which is then run: through a symlink (pnpm's node_modules under
  // --preserve-symlinks) the walk below would check the link's parents, not the target's.
  const file = join(realpathSync(dirname(path)), basename(path));
  // Every directory up to the root: one another user may write could have the launcher's
  // directory renamed away and another put in its place (a sticky one, like /tmp, could not).
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    trusted(dir, statSync(dir));
    if (dir === dirname(dir)) break;
  }
  const expected = readFileSync(`${file}.sha256`, 'utf8').trim();
  // O_NOFOLLOW: a symlink is refused; O_NONBLOCK: a FIFO does not block the open.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    // The launcher refuses to run set-id too; this says why under NODE_DEBUG=umd.
    if ((stat.mode & SET_ID) !== 0) throw new Error(`${file} is set-user-ID or set-group-ID`);
    trusted(file, stat);
    if (stat.size > MAX_BYTES) throw new Error(`${file} has ${stat.size} bytes`);
    const actual = createHash('sha256').update(readFileSync(fd)).digest('hex');
    if (actual !== expected) throw new Error(`its digest is not the one in ${file}.sha256`);
  } finally {
    closeSync(fd);
  }
  return file;
}

/**
 * Throws unless `path` is owned by root or the host's user, and no one else may write it, or it
 * is a sticky directory (like /tmp), where no one else can rename or remove what is not theirs.
 */
function trusted(path: string, stat: Stats): void {
  if (stat.uid !== 0 && stat.uid !== process.geteuid?.())
    throw new Error(`${path} is owned by uid ${stat.uid}, neither root nor the host's user`);
  const sticky = stat.isDirectory() && (stat.mode & STICKY) !== 0;
  if ((stat.mode & 0o022) !== 0 && !sticky)
    throw new Error(`${path} is writable by its group or others`);
}

/** Runs the launcher's `--trial` (everything but the exec); undefined when it works. */
function trial(file: string, options: string[]): Promise<string | undefined> {
  const args = [`--parent=${process.pid}`, '--trial', ...options];
  return new Promise((resolve) =>
    execFile(file, args, { timeout: 5000, env: {} }, (error, _out, stderr) =>
      resolve(error === null ? undefined : String(stderr).trim() || error.message),
    ),
  );
}

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
