import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';

/** The umd packages a new driver depends on (runtime and build). */
export const UMD_PACKAGES = ['@umd/core', '@umd/mgmt', '@umd/build'] as const;
/** One of {@link UMD_PACKAGES}. */
export type UmdPackage = (typeof UMD_PACKAGES)[number];

/**
 * The `file:` specs of the umd packages in a directory of tarballs, as `npm pack` and
 * `pnpm pack` name them (`umd-core-0.1.0.tgz` for `@umd/core`): for a driver made before
 * the packages are on a registry, or against a local build of them.
 * @throws UmdError `UMD_INVALID_ARGUMENT` naming the package when the directory is not
 *   readable, lacks a tarball, or holds two versions of one (which one would be a guess).
 */
export function tarballSpecs(dir: string): Record<UmdPackage, string> {
  const from = resolve(dir);
  let files: string[];
  try {
    files = readdirSync(from);
  } catch (cause) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `--from-tarballs: cannot read ${from}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const specs = {} as Record<UmdPackage, string>;
  for (const name of UMD_PACKAGES) {
    const stem = name.slice(1).replace('/', '-');
    const pattern = new RegExp(`^${stem}-\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?\\.tgz$`);
    const found = files.filter((file) => pattern.test(file));
    if (found.length !== 1)
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        found.length === 0
          ? `--from-tarballs: no ${stem}-<version>.tgz for ${name} in ${from} (make them with npm pack or pnpm pack)`
          : `--from-tarballs: ${found.length} tarballs of ${name} in ${from} (${found.join(', ')}); keep one`,
      );
    specs[name] = `file:${join(from, found[0] as string)}`;
  }
  return specs;
}

/**
 * The package.json fields that make npm and pnpm take every umd package from `specs`, also
 * where another umd package depends on it (`@umd/mgmt` on `@umd/core`): npm's `overrides`
 * and pnpm's `pnpm.overrides`, each with the same spec as the direct dependency (npm allows
 * an override of a direct dependency only with the same spec).
 */
export function localOverrides(specs: Record<UmdPackage, string>): Record<string, string> {
  return Object.fromEntries(UMD_PACKAGES.map((name) => [name, specs[name]]));
}
