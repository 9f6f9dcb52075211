/**
 * A revision no kernel registers, for every match and target bpfilter knows: each rule is sent
 * as a SET_REPLACE (`vectors/kernel-sockopt.c`) to a namespace's kernel and through
 * `bpfilter exec`, and must be refused with the same errno. The kernel's lookup ends in the
 * NFPROTO_UNSPEC list: EPROTOTYPE where that list has the name in other revisions, ENOENT where
 * it does not (an extension registered for IPv4 alone).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/abi/index.js';
import { MATCHES, TARGETS } from '../src/handler/extensions.js';
import { encodeReplaceRequest } from '../src/model/encode.js';
import type { Rule } from '../src/model/types.js';
import { parseSave } from '../src/text/parse-save.js';
import { missingPrerequisite, type NamespaceRun, which } from './iptables/namespace.js';
import {
  FRESH_FILTER_SAVE,
  sockoptAnswers,
  useKernelSockoptReplay,
} from './kernel-sockopt-replay.js';

const missing = missingPrerequisite() ?? (which('cc') ? undefined : 'no C compiler (cc)');

/** A revision above every one a kernel registers. */
const REVISION = 200;

/** `set 64 HEX`: the filter table with `rule` in INPUT, replacing the fresh table (4 entries). */
function replaceLine(rule: Rule): string {
  const [table] = parseSave(FRESH_FILTER_SAVE);
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
    const replay = useKernelSockoptReplay();

    it('is refused with the kernel errno for every match and target', {
      timeout: 60_000,
    }, async () => {
      const { kernel, bpfilter } = await replay(CASES.map((c) => c.line));
      const answers = (run: NamespaceRun) =>
        sockoptAnswers(run).map(({ errno }, i) => `${CASES[i]?.name}: errno ${errno}`);
      const expected = answers(kernel);
      expect(expected).toHaveLength(CASES.length);
      expect(answers(bpfilter)).toEqual(expected);
      // Both answers occur: the cases tell the two families apart.
      expect(expected.filter((a) => a.endsWith('errno 91')).length).toBeGreaterThan(10);
      expect(expected.filter((a) => a.endsWith('errno 2')).length).toBeGreaterThan(10);
      expect(bpfilter.kernelTableNames).toBe('');
    });
  },
);
