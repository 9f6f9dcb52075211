/**
 * Whether the enforcement tests can run here: Linux, root in a new network namespace, and the
 * programs the twins run. Where they cannot, a test file skips; on CI it fails instead, so a
 * runner that lost a prerequisite does not pass by skipping.
 */
import { spawnSync } from 'node:child_process';
import { PROGRAMS, which } from '../iptables/namespace.js';

/** Why these tests cannot run here, or undefined when they can. */
export function missingEnforcePrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'enforcement tests need Linux network namespaces';
  for (const [program, pkg] of [
    ['nft', 'nftables'],
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
    ['setpriv', 'util-linux'],
    ['ping', 'iputils-ping'],
    ['iptables-legacy-restore', 'iptables'],
    ['conntrack', 'conntrack'],
  ] as const)
    if (!which(program)) return `${program} is not installed (Debian package ${pkg})`;
  if (!PROGRAMS.save || !PROGRAMS.restore) return 'iptables-legacy is not installed';
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return '`unshare -n` does not work here';
  if (spawnSync('unshare', ['-n', 'nft', 'list', 'ruleset']).status !== 0)
    return 'nft does not work in a new network namespace';
  return undefined;
}

/**
 * Why a file of enforcement tests cannot run here (`also`: its own prerequisites, checked after
 * the common ones), or undefined when it can. Throws instead on CI (`CI=true`).
 */
export function enforceSkipReason(
  also: () => string | undefined = () => undefined,
  what = 'enforcement tests',
): string | undefined {
  const missing = missingEnforcePrerequisite() ?? also();
  if (missing && process.env.CI === 'true') throw new Error(`${what} cannot run: ${missing}`);
  return missing;
}
