/**
 * A client that is not libiptc: SET_REPLACE, SET_ADD_COUNTERS and gets with odd option
 * lengths, headers and buffers (`iptables/option-lengths.c`), run against a namespace's kernel
 * and through `bpfilter exec`. Every call must get the kernel's answer (rc and errno), and a
 * refused call must leave the socket usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { missingPrerequisite, runInNamespace, type Step, which } from './iptables/namespace.js';

const missing = missingPrerequisite() ?? (which('cc') ? undefined : 'no C compiler (cc)');

describe.skipIf(missing !== undefined)(
  `odd socket-option lengths through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let fixture: CFixture;
    beforeAll(() => {
      const source = new URL('./iptables/option-lengths.c', import.meta.url);
      fixture = compileFixture('option-lengths', source, ['-Wall']);
    });
    afterAll(() => fixture?.remove());

    it('answers each call as the kernel does', { timeout: 60_000 }, async () => {
      const steps: Step[] = [{ program: 'shell', args: ['-c', fixture.program] }];
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { freshService: true }),
      ]);
      const lines = (text: string) => text.trim().split('\n');
      expect(kernel.results[0]!.status).toBe(0);
      expect(lines(kernel.results[0]!.stdout)).toHaveLength(33);
      expect(lines(bpfilter.results[0]!.stdout)).toEqual(lines(kernel.results[0]!.stdout));
      expect(bpfilter.kernelTableNames).toBe('');
    });
  },
);
