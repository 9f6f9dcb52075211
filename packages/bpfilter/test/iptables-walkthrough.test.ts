/**
 * The README's "iptables walkthrough" is run as written: its commands (minus the set-up
 * lines: install, build, alias, serve, unshare, export) run in a throwaway namespace
 * against a fresh `bpfilter serve`, and their output must be the README's output blocks
 * (timestamps aside). The namespace's kernel must stay empty.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLI,
  missingPrerequisite,
  PROGRAMS,
  startService,
  type ServiceProcess,
} from './iptables/namespace.js';

const missing = missingPrerequisite();
const README = new URL('../README.md', import.meta.url);
const SETUP = /^(apt-get|pnpm|alias|unshare|export|bpfilter serve)\b/;

/** The walkthrough's fenced blocks: `sh` blocks (commands) and plain blocks (output). */
function walkthrough(): { commands: string[]; output: string } {
  const text = readFileSync(README, 'utf8');
  const section = text.split('\n## iptables walkthrough\n')[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error('README.md has no "## iptables walkthrough" section');
  const commands: string[] = [];
  let output = '';
  let block: { lang: string; lines: string[] } | undefined;
  for (const line of section.split('\n')) {
    if (line.startsWith('```')) {
      if (block === undefined) {
        block = { lang: line.slice(3).trim(), lines: [] };
        continue;
      }
      if (block.lang === 'sh') commands.push(...block.lines);
      else if (block.lang === '') output += `${block.lines.join('\n')}\n`;
      block = undefined;
    } else if (block !== undefined) {
      block.lines.push(line);
    }
  }
  return {
    commands: commands
      .map((c) => c.replace(/\s+#.*$/, ''))
      .filter((c) => c.trim() !== '' && !SETUP.test(c)),
    output,
  };
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
      const { commands, output } = walkthrough();
      expect(commands.length).toBeGreaterThan(10);
      const script = [
        `bpfilter() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }`,
        `export BPFILTER_SOCKET=${JSON.stringify(service.socketPath)} XTABLES_LOCKFILE=${JSON.stringify(join(dir, 'lock'))}`,
        `cd ${JSON.stringify(dir)}`,
        ...commands,
      ].join('\n');
      writeFileSync(join(dir, 'walk.sh'), script);
      const printed = await new Promise<string>((resolve, reject) => {
        // 2>&1: the README shows stderr lines in place, as a terminal would.
        execFile(
          'unshare',
          [
            '-n',
            'sh',
            '-c',
            `sh ${join(dir, 'walk.sh')} 2>&1; echo '@@kernel'; ${PROGRAMS.save} 2>&1; cat /proc/net/ip_tables_names`,
          ],
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      const [walk, kernel] = printed.split('@@kernel\n');
      expect(withoutTimestamps(walk!)).toBe(withoutTimestamps(output));
      expect(kernel).toBe('');
    });
  },
);
