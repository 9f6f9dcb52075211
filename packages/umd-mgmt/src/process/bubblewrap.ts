import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, normalize } from 'node:path';

// Fixed system directories, never the host's PATH (as for setpriv and unshare).
const BWRAP_PATHS = ['/usr/bin/bwrap', '/bin/bwrap'];

/** Namespaces a sandboxed handler gets: no network, IPC, PID or host name shared with the host. */
const UNSHARE = ['--unshare-net', '--unshare-ipc', '--unshare-pid', '--unshare-uts'];

/**
 * bubblewrap's own processes (its monitor outside, its init inside the sandbox) keep
 * descriptors 0 to 2 open while the handler runs and close every other one: the handler's stdin
 * and stdout cross the sandbox as 8 and 9 ({@link HAND_OVER_OUTSIDE} runs bwrap) and become 0
 * and 1 again inside ({@link HAND_OVER_INSIDE} runs the handler's command), so that the handler
 * alone holds them and one that closes its stdout is seen at once, as under the PID-namespace
 * supervisor (`SUPERVISE`).
 */
export const HAND_OVER_OUTSIDE = [
  'unset PWD OLDPWD',
  'exec 8<&0 9>&1 </dev/null >/dev/null',
  'exec "$0" "$@"',
].join('\n');

/** See {@link HAND_OVER_OUTSIDE}. */
export const HAND_OVER_INSIDE = [
  'unset PWD OLDPWD',
  'exec <&8 >&9 8<&- 9<&-',
  'exec "$0" "$@"',
].join('\n');

/**
 * bubblewrap's arguments for a handler whose files live in `privateDir`: no network, the whole
 * file system read-only, a fresh `/dev` and `/proc`, an empty private `/tmp`, only `privateDir`
 * mounted over it again; it dies with its parent. `program` (the executable that runs the
 * handler: Node for a JS handler) stays reachable even when it lives under `/tmp` (a Node
 * unpacked there, say), which the private `/tmp` would otherwise hide. A root host
 * keeps the capabilities needed to change to the handler's uid (the next step drops them all);
 * otherwise they go here, and a host that is not root needs a user namespace.
 */
export function bubblewrapArgs(
  privateDir: string,
  dropsIdsAfter: boolean,
  program?: string,
): string[] {
  const root = process.geteuid?.() === 0;
  return [
    '--die-with-parent',
    ...UNSHARE,
    ...(root ? [] : ['--unshare-user']),
    ...(dropsIdsAfter ? [] : ['--cap-drop', 'ALL']),
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    ...underPrivateTmp(program),
    '--bind',
    privateDir,
    privateDir,
  ];
}

/**
 * Mounts `program` read-only at its own path when the private `/tmp` would hide it, with the
 * directories above it made traversable (bubblewrap makes missing ones private to root, and the
 * handler runs as another uid).
 */
function underPrivateTmp(program: string | undefined): string[] {
  if (program === undefined || !isAbsolute(program)) return [];
  const path = normalize(program);
  if (!path.startsWith('/tmp/')) return [];
  const args: string[] = [];
  for (let dir = dirname(path); dir !== '/tmp'; dir = dirname(dir))
    args.unshift('--perms', '0755', '--dir', dir);
  return [...args, '--ro-bind', path, path];
}

let probed: Promise<{ bwrap: string } | { missing: string }> | undefined;

/**
 * Finds `bwrap` and tries a sandbox once per host process.
 * @returns its path, or what is missing (for `UMD_START_FAILED`).
 */
export function probeBubblewrap(): Promise<{ bwrap: string } | { missing: string }> {
  probed ??= new Promise((resolve) => {
    const bwrap = BWRAP_PATHS.find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (bwrap === undefined) {
      resolve({
        missing:
          'sandbox.bubblewrap needs bubblewrap (bwrap), which is not installed (Debian: apt-get install bubblewrap)',
      });
      return;
    }
    const trial = [...bubblewrapArgs('/', false).slice(0, -3), '--', 'true'];
    execFile(bwrap, trial, { timeout: 5000 }, (error, _out, stderr) =>
      resolve(
        error === null
          ? { bwrap }
          : {
              missing: `sandbox.bubblewrap: this host cannot make a sandbox (${bwrap} failed: ${String(stderr).trim() || error.message}; it needs root, a setuid bwrap or unprivileged user namespaces)`,
            },
      ),
    );
  });
  return probed;
}
