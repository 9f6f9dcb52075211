// Every `pnpm <name>` the root README tells a user to run is a root script that pnpm really
// runs: pnpm's own commands (`pnpm docs` opens a package's npm page) win over a script.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  scripts: Record<string, string>;
};
/** pnpm 10 commands that do not run a script of the same name. */
const PNPM_OWN = ['docs', 'home', 'bugs', 'repo', 'view', 'info', 'pack', 'publish', 'link'];
/** pnpm commands a README may name for what they are. */
const PNPM_COMMANDS = ['install', 'test', 'run', 'exec', 'dlx', 'add', '--filter'];

describe('the README commands', () => {
  const named = [
    ...new Set(
      [...readme.matchAll(/`(?:npx -y )?pnpm(?:@10)? (?:run )?([\w:-]+)/g)].map((m) => m[1]!),
    ),
  ];
  it.each(named)('pnpm %s is a root script, not shadowed by a pnpm command', (name) => {
    if (PNPM_COMMANDS.includes(name)) return;
    expect(Object.keys(scripts)).toContain(name);
    expect(PNPM_OWN).not.toContain(name);
  });
  it('names the docs server as a script pnpm runs', () => {
    expect(named).toContain('docs:dev');
    expect(scripts).not.toHaveProperty('docs');
  });
});
