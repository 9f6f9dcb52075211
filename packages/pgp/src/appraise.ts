/**
 * Appraisal, the seed's end goal: may this file run? Only if a package whose signature the
 * host verified lists this path with this file's digest.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { abortedError } from '@umd/core';
import {
  type AppraisedPackage,
  type CheckedAppraiseOptions,
  appraiseOptions,
} from './call-options.js';
import { HASHES } from './host/algorithms.js';
import { untilAborted } from './input.js';
import { openInputFile } from './regular-file.js';
import type { RpmResult } from './rpm.js';

/** Why a file is allowed or denied. */
export type AppraisalReason =
  | 'digest-match'
  | 'digest-mismatch'
  | 'not-listed'
  | 'unsigned-package'
  | 'untrusted-key'
  | 'bad-package'
  | 'not-a-regular-file';

/** The decision on one file. */
export interface Appraisal {
  /** True only when a good package lists this path with this digest. */
  allow: boolean;
  /** Why: `digest-match` allows; every other reason denies. */
  reason: AppraisalReason;
  /** The path looked up in the packages. */
  path: string;
  /** The package that decided, as `name-version-release.arch`. */
  package?: string;
  /** The file's digest as computed here (hex). */
  actual?: string;
  /** The digest the package lists for the path (hex). */
  expected?: string;
}

/** Options of {@link appraise}. */
export interface AppraiseOptions {
  /** The packages, as verified by `verifyRpm`. Only those with status `good` can allow. */
  packages: readonly RpmResult[];
  /** The path to look up (default: the file's own absolute path, or relative to `root`). */
  path?: string;
  /** A directory the packages' paths are relative to (an extracted tree, a mounted image). */
  root?: string;
  /** Aborts reading the file. */
  signal?: AbortSignal;
}

const NODE_HASH: Record<number, string> = {
  1: 'md5',
  ...Object.fromEntries(Object.entries(HASHES).map(([k, v]) => [k, v.node])),
};

const label = (p: AppraisedPackage) => `${p.name}-${p.version}-${p.release}.${p.arch}`;

/**
 * Decides whether `file` matches a digest that a verified package lists for its path.
 *
 * @throws PgpError `PGP_INVALID_ARGUMENT` for a `file` that is no string or options that are
 * unusable (no `packages` array, an entry of it that is no `verifyRpm` result, a `signal` that is
 * no `AbortSignal`, a getter that throws);
 * UmdError `UMD_ABORTED` (or `UMD_TIMEOUT` for a timeout's signal) when `signal` fires, also
 * before the call.
 */
export async function appraise(file: string, given: AppraiseOptions): Promise<Appraisal> {
  const options = appraiseOptions(file, given);
  const { signal } = options;
  if (signal?.aborted) throw abortedError(signal, 'appraise');
  const path =
    options.path ??
    (options.root
      ? `/${relative(resolve(options.root), resolve(file)).split(sep).join('/')}`
      : resolve(file));
  // A symlink is not a regular file here; nor is what replaces the file after this open.
  const opened = await openInputFile(file, false);
  if (opened === undefined) return { allow: false, reason: 'not-a-regular-file', path };
  try {
    return await appraiseOpened(opened.handle, path, options);
  } finally {
    await opened.handle.close();
  }
}

/** {@link appraise} of the file open as `handle`, looked up as `path`. */
async function appraiseOpened(
  handle: FileHandle,
  path: string,
  options: CheckedAppraiseOptions,
): Promise<Appraisal> {
  let denial: Appraisal | undefined;
  for (const pkg of options.packages) {
    if (pkg.status !== 'good' || !pkg.files) {
      const reason =
        pkg.status === 'unsigned'
          ? 'unsigned-package'
          : pkg.status === 'no-public-key'
            ? 'untrusted-key'
            : 'bad-package';
      denial ??= { allow: false, reason, path, package: label(pkg) };
      continue;
    }
    const entry = pkg.files.find((f) => f.path === path);
    if (!entry) continue;
    const algorithm = NODE_HASH[pkg.fileDigestAlgorithm ?? 1];
    if (!algorithm || entry.digest === '') {
      return { allow: false, reason: 'not-a-regular-file', path, package: label(pkg) };
    }
    const hash = createHash(algorithm);
    // Each chunk waited for only until the signal fires (typed: UMD_ABORTED or UMD_TIMEOUT).
    const stream = handle.createReadStream({ start: 0, autoClose: false });
    for await (const chunk of untilAborted(stream, options.signal)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    const match = actual === entry.digest.toLowerCase();
    return {
      allow: match,
      reason: match ? 'digest-match' : 'digest-mismatch',
      path,
      package: label(pkg),
      actual,
      expected: entry.digest,
    };
  }
  return denial ?? { allow: false, reason: 'not-listed', path };
}
