/** Helpers of the front-end tests: the built loader, waiting for a handler to die. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BpfilterSockopt } from '@umd/bpfilter';
import { buildBlob } from '@umd/build';
import { childrenOf } from '@umd/core/testing';
import { defineLoader, type Loader, type UmdManager, waitForExit } from '@umd/mgmt';
import { afterAll, beforeAll } from 'vitest';
import { decodeMboxReply, encodeMboxRequest } from '../src/abi/index.js';

/** Imports the package's built loader (dist/loader.js), counting imports. */
export function countingLoader(): {
  loader: () => Promise<{ default: never }>;
  readonly imports: number;
} {
  let imports = 0;
  return {
    loader: async () => {
      imports++;
      return import(new URL('../dist/loader.js', import.meta.url).href) as Promise<{
        default: never;
      }>;
    },
    get imports() {
      return imports;
    },
  };
}

/**
 * The process that answers requests: `manager.pid`, or with PID-namespace containment the
 * handler under the supervisor that `manager.pid` names and the namespace's init between them
 * (each the one child of the one before). A SIGKILL of the supervisor reaches the handler only
 * once the kernel ends the namespace, and on a loaded machine the handler can answer many
 * requests before that; a SIGKILL of the handler stops it at once. The handler leads a process
 * group of its own: a signal to `-answeringPid()` reaches it and its children only.
 */
export function answeringPid(manager: UmdManager): number {
  const pid = manager.pid;
  if (pid === undefined) throw new Error('no handler running');
  if (manager.stats().containment !== 'pid-namespace') return pid;
  return onlyChild(onlyChild(pid));
}

function onlyChild(pid: number): number {
  const [child, ...others] = childrenOf(pid);
  if (child === undefined || others.length > 0)
    throw new Error(`process ${pid} has ${others.length + (child ? 1 : 0)} children, not 1`);
  return child.pid;
}

/** SIGKILLs the manager's handler and resolves once the manager has seen it exit. */
export async function killHandler(manager: UmdManager): Promise<number> {
  const pid = manager.pid;
  if (pid === undefined) throw new Error('no handler running');
  const exited = waitForExit(manager, pid);
  process.kill(pid, 'SIGKILL');
  await exited;
  return pid;
}

/** Is a process with this pid alive? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A get sent to the front end's handler itself, past the front end (which answers GET_INFO
 * and GET_ENTRIES of a table it keeps from its copy): what the handler holds.
 */
export async function handlerGet(
  sockopt: BpfilterSockopt,
  optname: number,
  optval: Uint8Array,
): Promise<{ status: number; data?: Uint8Array }> {
  const request = encodeMboxRequest({ isSet: false, cmd: optname, data: optval, pid: process.pid });
  const reply = decodeMboxReply(await sockopt.manager.request(request));
  if (reply === undefined) throw new Error('short reply');
  if (reply.status < 0) return { status: reply.status };
  return { status: reply.status, data: reply.body.slice(0, optval.length) };
}

/**
 * The handler `test/fixtures/NAME`, bundled into a blob in a temporary directory before the
 * tests of the calling `describe` and removed after them. Returns its loader (call it inside a
 * test).
 */
export function fixtureHandler(name: string): () => Loader {
  let built: { loader: Loader; dir: string } | undefined;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bpfilter-fixture-'));
    const blob = await buildBlob({
      entry: fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)),
      outDir: dir,
      name: 'bpfilter',
    });
    const loader = defineLoader({
      name: 'bpfilter',
      mode: 'framed',
      script: blob.file,
      sha256: blob.sha256,
    });
    built = { loader, dir };
  }, 60_000);
  afterAll(async () => {
    if (built !== undefined) await rm(built.dir, { recursive: true, force: true });
  });
  return () => {
    if (built === undefined) throw new Error(`fixture handler ${name} is built only for the tests`);
    return built.loader;
  };
}
