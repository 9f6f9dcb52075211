import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localOverrides, tarballSpecs } from './local-packages.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function withFiles(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'umd-tarballs-'));
  dirs.push(dir);
  for (const file of files) writeFileSync(join(dir, file), '');
  return dir;
}

describe('tarballSpecs', () => {
  it('finds one tarball per umd package, as npm pack names them, and overrides every copy', () => {
    const dir = withFiles([
      'umd-core-0.1.0.tgz',
      'umd-mgmt-0.1.0.tgz',
      'umd-build-0.2.0-rc.1.tgz',
      'umd-bpfilter-0.1.0.tgz',
      'umd-core-0.1.0.tgz.sha256',
    ]);
    const specs = tarballSpecs(dir);
    expect(specs).toEqual({
      '@umd/core': `file:${join(dir, 'umd-core-0.1.0.tgz')}`,
      '@umd/mgmt': `file:${join(dir, 'umd-mgmt-0.1.0.tgz')}`,
      '@umd/build': `file:${join(dir, 'umd-build-0.2.0-rc.1.tgz')}`,
    });
    expect(localOverrides(specs)).toEqual(specs);
  });

  it('refuses a missing directory, a missing package and two versions of one, naming it', () => {
    expect(() => tarballSpecs(join(tmpdir(), 'umd-no-such-dir'))).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringMatching(/cannot read/),
      }),
    );
    expect(() => tarballSpecs(withFiles(['umd-core-0.1.0.tgz', 'umd-mgmt-0.1.0.tgz']))).toThrow(
      /no umd-build-<version>\.tgz for @umd\/build/,
    );
    expect(() =>
      tarballSpecs(
        withFiles([
          'umd-core-0.1.0.tgz',
          'umd-core-0.2.0.tgz',
          'umd-mgmt-0.1.0.tgz',
          'umd-build-0.1.0.tgz',
        ]),
      ),
    ).toThrow(/2 tarballs of @umd\/core .*keep one/);
    // A name that only starts like one of ours is not ours.
    expect(() =>
      tarballSpecs(
        withFiles(['umd-core-extra-0.1.0.tgz', 'umd-mgmt-0.1.0.tgz', 'umd-build-0.1.0.tgz']),
      ),
    ).toThrow(/no umd-core-<version>/);
  });
});
