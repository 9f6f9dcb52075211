/**
 * Shared by the process-level tests, which drive the BUILT package (dist/), as a user would.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type HandlerKind, handlerKinds, handlers } from '@umd/sample-umd';

/**
 * Why a handler cannot run here (its loader says so, e.g. no C compiler at build time), or
 * `undefined` when it can. Under CI=true a missing handler is a failure, not a skip.
 */
export async function unavailable(kind: HandlerKind): Promise<string | undefined> {
  try {
    await handlers[kind].load();
    return undefined;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return (error as Error).message;
  }
}

/** For each handler kind: why it is unavailable, or `undefined`. */
export const unavailableHandlers = Object.fromEntries(
  await Promise.all(handlerKinds.map(async (kind) => [kind, await unavailable(kind)] as const)),
) as Record<HandlerKind, string | undefined>;

/** The built command-line entry. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the built CLI with `args` and `stdin`; resolves with its status and output. */
export function runCli(
  args: string[],
  stdin = '',
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
