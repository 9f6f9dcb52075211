/**
 * The extensions enforcement translates, as Debian's iptables-legacy encodes them: each rule
 * goes through `bpfilter exec --enforce` in a throwaway namespace, and nft must list the rule
 * nftables users would write for it (proving the kernel structures were read right).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CASES, COMPAT, REFUSED } from './enforce/extension-cases.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { CLI } from './iptables/namespace.js';

const missing = enforceSkipReason();

function inNamespace(script: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(
      'unshare',
      ['-n', process.execPath, CLI, 'exec', '--enforce', '--', 'sh', '-c', script],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    ),
  );
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const command = (args: string) => `iptables-legacy ${args.split(' ').map(quote).join(' ')}`;

describe.skipIf(missing !== undefined)('enforcement of iptables extensions', () => {
  it('translates each extension as nftables would say it', async () => {
    const script = [
      ...CASES.map(([args]) => `${command(args)} || echo "FAILED: $?"`),
      'nft list ruleset',
    ].join('\n');
    const { stdout } = await inNamespace(script);
    expect(stdout).not.toContain('FAILED');
    const rules = stdout.split('\n').map((line) => line.trim());
    for (const [, nft] of CASES) for (const line of nft.split('\n')) expect(rules).toContain(line);
  }, 60_000);

  it('enforces those nft has no form for through nft_compat', async () => {
    const script = [
      ...COMPAT.map(([args]) => `${command(args)} || echo "FAILED: $?"`),
      'nft list ruleset',
    ].join('\n');
    const { stdout } = await inNamespace(script);
    expect(stdout).not.toContain('FAILED');
    for (const [, listed] of COMPAT) expect(stdout).toContain(listed);
    // One nft rule per iptables rule, each counted.
    expect(stdout.match(/counter packets 0 bytes 0/g)?.length).toBeGreaterThanOrEqual(
      COMPAT.length,
    );
  }, 60_000);

  it('refuses the others by name and installs nothing of them', async () => {
    const script = [
      ...REFUSED.map(([args]) => `${command(args)} && echo "ACCEPTED: ${args}"`),
      'nft list ruleset',
    ].join('\n');
    const { stdout, stderr } = await inNamespace(script);
    expect(stdout).not.toContain('ACCEPTED');
    for (const [, extension] of REFUSED) expect(stderr).toContain(extension);
    // Every change was refused, so the kernel never got a table.
    expect(stdout).toBe('');
  }, 60_000);

  it("leaves the command's stdout and stderr blocking once a table was compiled", async () => {
    // A pipe made non-blocking by the service (Node opening it as a stream) is non-blocking
    // for the command too, which then loses output whenever its reader is slow.
    const { stdout } = await inNamespace(
      `${command('-A INPUT -p tcp --dport 1 -j ACCEPT')}\ngrep ^flags: /proc/self/fdinfo/1 /proc/self/fdinfo/2`,
    );
    const flags = [...stdout.matchAll(/flags:\s+([0-7]+)/g)].map((m) => Number.parseInt(m[1]!, 8));
    expect(flags).toHaveLength(2);
    const O_NONBLOCK = 0o4000;
    for (const f of flags) expect(f & O_NONBLOCK).toBe(0);
  }, 60_000);
});
