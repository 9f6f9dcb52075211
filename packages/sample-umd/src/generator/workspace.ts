import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** True when `dir` is the root of the umd monorepo (a pnpm workspace holding `@umd/mgmt`). */
export function isUmdRepoRoot(dir: string): boolean {
  if (!existsSync(join(dir, 'pnpm-workspace.yaml'))) return false;
  try {
    const mgmt = JSON.parse(
      readFileSync(join(dir, 'packages', 'umd-mgmt', 'package.json'), 'utf8'),
    ) as { name?: string };
    return mgmt.name === '@umd/mgmt';
  } catch {
    return false;
  }
}

/** The umd monorepo root that `dir` sits in or under, if any. */
export function findUmdRepoRoot(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (isUmdRepoRoot(current)) return current;
    if (dirname(current) === current) return undefined;
  }
}

/** The monorepo root when `packageDir` is a direct child of its `packages/` (a workspace package), else `undefined`. */
export function workspaceRootOf(packageDir: string): string | undefined {
  const parent = dirname(resolve(packageDir));
  if (basename(parent) !== 'packages') return undefined;
  const root = dirname(parent);
  return isUmdRepoRoot(root) ? root : undefined;
}

/** The directory under `root`'s `packages/` of the package called `name`, if there is one. */
export function workspacePackageNamed(root: string, name: string): string | undefined {
  return readdirSync(join(root, 'packages')).find((dir) => {
    try {
      const json = readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8');
      return (JSON.parse(json) as { name?: unknown }).name === name;
    } catch {
      return false;
    }
  });
}
