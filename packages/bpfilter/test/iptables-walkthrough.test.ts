/**
 * The README's "iptables walkthrough" is run as written: its set-up lines before
 * `unshare -n sh` run in an outer shell at the repository's root (all but install, build and
 * serve: a fresh `bpfilter serve` stands in for that one), the rest in a shell started by
 * `unshare -n sh`, as a reader's terminal runs them (so an alias, which the inner shell would
 * not have, fails here), and their output must be the README's output blocks (timestamps
 * aside). The namespace's kernel must stay empty.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  missingPrerequisite,
  PROGRAMS,
  startService,
  type ServiceProcess,
} from './iptables/namespace.js';
import { readerPath, readmeBlocks } from './readme-blocks.js';

const missing = missingPrerequisite();
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Set-up lines the test does itself: install, build, and the service (its own, fresh). */
const SKIPPED = /^(apt-get|pnpm|bpfilter serve)\b/;
const UNSHARE = /^unshare -n sh$/;

/**
 * The walkthrough's fenced blocks: `sh` blocks (commands: `outer` before `unshare -n sh`,
 * `inner` after it) and plain blocks (output).
 */
function walkthrough(): { outer: string[]; inner: string[]; output: string } {
  const blocks = readmeBlocks('iptables walkthrough');
  const commands = blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.lines);
  const output = blocks
    .filter((b) => b.lang === '')
    .map((b) => `${b.lines.join('\n')}\n`)
    .join('');
  const lines = commands
    .map((c) => c.replace(/\s+#.*$/, ''))
    .filter((c) => c.trim() !== '' && !SKIPPED.test(c));
  const split = lines.findIndex((c) => UNSHARE.test(c));
  if (split < 0) throw new Error('the walkthrough has no `unshare -n sh` line');
  return { outer: lines.slice(0, split), inner: lines.slice(split + 1), output };
}

const withoutTimestamps = (text: string) =>
  text.replace(/^# (Generated|Completed) by .*$|^# (Generated|Completed) on .*$/gm, '# $1$2');

describe.skipIf(missing !== undefined)(
  `README iptables walkthrough${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let service: ServiceProcess;
    let dir: string;
    beforeEach(async () => {
      service = await startService();
      dir = mkdtempSync(join(tmpdir(), 'bpfilter-walk-'));
    });
    afterEach(async () => {
      await service?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('prints what the README says', { timeout: 90_000 }, async () => {
      const { outer, inner, output } = walkthrough();
      expect(inner.length).toBeGreaterThan(10);
      const exports = inner.filter((c) => /^export\b/.test(c));
      const steps = inner.filter((c) => !/^export\b/.test(c));
      const walk = [
        ...exports,
        // The service the test started, after the README's exports: its socket, not theirs.
        `export BPFILTER_SOCKET=${JSON.stringify(service.socketPath)} XTABLES_LOCKFILE=${JSON.stringify(join(dir, 'lock'))}`,
        `cd ${JSON.stringify(dir)}`,
        ...steps,
      ];
      writeFileSync(join(dir, 'walk.sh'), walk.join('\n'));
      // 2>&1: the README shows stderr lines in place, as a terminal would.
      const namespace = `sh walk.sh 2>&1; echo '@@kernel'; ${PROGRAMS.save} 2>&1; cat /proc/net/ip_tables_names`;
      writeFileSync(join(dir, 'namespace.sh'), `cd ${JSON.stringify(dir)}\n${namespace}\n`);
      const printed = await new Promise<string>((resolve, reject) => {
        execFile(
          'sh',
          ['-c', [...outer, `exec unshare -n sh ${join(dir, 'namespace.sh')}`].join('\n')],
          { cwd: ROOT, env: { ...process.env, PATH: readerPath() } },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      const [walked, kernel] = printed.split('@@kernel\n');
      expect(withoutTimestamps(walked!)).toBe(withoutTimestamps(output));
      expect(kernel).toBe('');
    });
  },
);
