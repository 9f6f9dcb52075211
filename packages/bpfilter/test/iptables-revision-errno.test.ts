/**
 * A revision no kernel registers, for every match and target bpfilter knows: each rule is sent
 * as a SET_REPLACE (`vectors/kernel-sockopt.c`) to a namespace's kernel and through
 * `bpfilter exec`, and must be refused with the same errno. The kernel's lookup ends in the
 * NFPROTO_UNSPEC list: EPROTOTYPE where that list has the name in other revisions, ENOENT where
 * it does not (an extension registered for IPv4 alone).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/abi/index.js';
import { MATCHES, TARGETS } from '../src/handler/extensions.js';
import { encodeReplaceRequest } from '../src/model/encode.js';
import type { Rule } from '../src/model/types.js';
import { parseSave } from '../src/text/parse-save.js';
import { type CFixture, compileFixture } from './c-fixture.js';
import { missingPrerequisite, runInNamespace, which } from './iptables/namespace.js';

const missing = missingPrerequisite() ?? (which('cc') ? undefined : 'no C compiler (cc)');

/** A revision above every one a kernel registers. */
const REVISION = 200;

/** `set 64 HEX`: the filter table with `rule` in INPUT, replacing the fresh table (4 entries). */
function replaceLine(rule: Rule): string {
  const [table] = parseSave(
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
  );
  table!.chains.find((c) => c.name === 'INPUT')!.rules.push(rule);
  return `set 64 ${toHex(encodeReplaceRequest(table!, 4))}`;
}

const data = new Uint8Array(8);
const CASES = [
  ...[...MATCHES.keys()].map((name) => ({
    name: `match ${name}`,
    line: replaceLine({
      matches: [{ kind: 'raw', name, revision: REVISION, data }],
      target: { kind: 'verdict', verdict: 'ACCEPT' },
    }),
  })),
  ...[...TARGETS.keys()]
    .filter((name) => name !== '' && name !== 'ERROR')
    .map((name) => ({
      name: `target ${name}`,
      line: replaceLine({ matches: [], target: { kind: 'raw', name, revision: REVISION, data } }),
    })),
];

describe.skipIf(missing !== undefined)(
  `a revision no kernel has, through bpfilter exec${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let fixture: CFixture;
    beforeAll(() => {
      fixture = compileFixture(
        'kernel-sockopt',
        new URL('./vectors/kernel-sockopt.c', import.meta.url),
      );
    });
    afterAll(() => fixture?.remove());

    it('is refused with the kernel errno for every match and target', {
      timeout: 60_000,
    }, async () => {
      const input = join(fixture.dir, 'replaces.txt');
      writeFileSync(input, `${CASES.map((c) => c.line).join('\n')}\n`);
      const steps = [{ program: 'shell' as const, args: ['-c', `${fixture.program} < ${input}`] }];
      const [kernel, bpfilter] = await Promise.all([
        runInNamespace(steps),
        runInNamespace(steps, { freshService: true }),
      ]);
      const answers = (stdout: string) =>
        stdout
          .trim()
          .split('\n')
          .map((line, i) => `${CASES[i]?.name}: errno ${JSON.parse(line).errno}`);
      const expected = answers(kernel.results[0]!.stdout);
      expect(expected).toHaveLength(CASES.length);
      expect(answers(bpfilter.results[0]!.stdout)).toEqual(expected);
      // Both answers occur: the cases tell the two families apart.
      expect(expected.filter((a) => a.endsWith('errno 91')).length).toBeGreaterThan(10);
      expect(expected.filter((a) => a.endsWith('errno 2')).length).toBeGreaterThan(10);
      expect(bpfilter.kernelTableNames).toBe('');
    });
  },
);
