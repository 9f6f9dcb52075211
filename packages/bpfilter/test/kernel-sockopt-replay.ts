/**
 * Sockopt requests iptables would never send, replayed against a namespace's kernel and
 * through `bpfilter exec` alike: `vectors/kernel-sockopt.c` reads `get|set OPT HEX` lines and
 * prints one JSON answer (`rc`, `errno`) per line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { type NamespaceRun, runInNamespace, type Step } from './iptables/namespace.js';

/** The fresh filter table as `iptables-save` prints it (4 entries once encoded). */
export const FRESH_FILTER_SAVE =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

/** One answer of the replay program. */
export interface SockoptAnswer {
  rc: number;
  errno: number;
}

/** The replay program's answers in `run`'s first step, one per line sent. */
export function sockoptAnswers(run: NamespaceRun): SockoptAnswer[] {
  return run.results[0]!.stdout.trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SockoptAnswer);
}

/**
 * Builds the replay program for the enclosing `describe` (its hooks) and returns a function that
 * sends `lines` to the kernel and through `bpfilter exec` (a fresh service) in namespaces of
 * their own, then runs `after` in each.
 */
export function useKernelSockoptReplay(): (
  lines: string[],
  after?: Step[],
) => Promise<{ kernel: NamespaceRun; bpfilter: NamespaceRun }> {
  let fixture: CFixture | undefined;
  beforeAll(() => {
    fixture = compileFixture(
      'kernel-sockopt',
      new URL('./vectors/kernel-sockopt.c', import.meta.url),
    );
  });
  afterAll(() => fixture?.remove());
  return async (lines, after = []) => {
    const input = join(fixture!.dir, 'replaces.txt');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const steps: Step[] = [
      { program: 'shell', args: ['-c', `${fixture!.program} < ${input}`] },
      ...after,
    ];
    const [kernel, bpfilter] = await Promise.all([
      runInNamespace(steps),
      runInNamespace(steps, { freshService: true }),
    ]);
    return { kernel, bpfilter };
  };
}
