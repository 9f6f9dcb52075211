import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

// O_CLOEXEC as /proc/PID/fdinfo prints it, on the architectures Node ships for Linux (all use
// the generic value; alpha, parisc and sparc differ, and Node has no build for them).
const O_CLOEXEC = 0o2000000;
const GENERIC_FLAGS_ARCHS = new Set([
  'x64',
  'arm64',
  'arm',
  'ia32',
  'ppc64',
  's390x',
  'riscv64',
  'loong64',
]);

/**
 * Where each fdinfo file's head is read: its `flags:` line is the second, after `pos:` (at most 20
 * digits), well within this. One open, read and close per descriptor, no string of the whole file:
 * the check runs on every start's path (what it costs: the README's cold start).
 */
const head = Buffer.alloc(256);
const FLAGS_LINE = /^flags:\s*([0-7]+)\n/m;

/**
 * The descriptors above 2 this process would hand to a program it starts: those open without
 * close-on-exec (libuv opens Node's files with it; a native addon, c-ares (below) or the
 * process that started the host may not). Undefined when `/proc` cannot tell, which callers must treat as "some".
 *
 * A snapshot, not a promise: a descriptor another thread opens without close-on-exec between
 * this read and the fork is inherited unseen, and spawning in the same tick does not prevent it.
 * Node does so itself: c-ares reads /etc/resolv.conf without close-on-exec for each new
 * `dns.Resolver`, in whichever thread (a worker's) makes it. Only closing in the child is sure.
 * @param procFd The fdinfo directory to read: this process's by default, or another's
 *   (`/proc/PID/fdinfo`).
 * @param arch The architecture whose `O_CLOEXEC` value to read the flags with.
 */
export function inheritableFds(
  procFd = '/proc/self/fdinfo',
  arch: string = process.arch,
): number[] | undefined {
  if (!GENERIC_FLAGS_ARCHS.has(arch)) return undefined;
  let names: string[];
  try {
    names = readdirSync(procFd);
  } catch {
    return undefined;
  }
  const inheritable: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd)) return undefined;
    if (fd <= 2) continue;
    let info: string;
    try {
      const file = openSync(`${procFd}/${name}`, 'r');
      try {
        info = head.toString('latin1', 0, readSync(file, head, 0, head.length, 0));
      } finally {
        closeSync(file);
      }
    } catch (error) {
      // Closed since the listing (the listing's own descriptor, for one): nothing to inherit.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return undefined;
    }
    // A flags line cut short by the head's end does not match: then it cannot tell.
    const flags = FLAGS_LINE.exec(info);
    if (flags === null) return undefined;
    if ((Number.parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) inheritable.push(fd);
  }
  return inheritable;
}
