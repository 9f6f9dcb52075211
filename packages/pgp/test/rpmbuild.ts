/**
 * RPM for the tests: packages built with rpmbuild and signed with rpmsign in temporary
 * directories, and rpm's own answers (`rpmkeys --checksig`, `rpm -qp --dump`, rpm2cpio).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpgHome } from './gnupg.js';

/** Why rpm cannot be used here, or undefined. Under CI=true a missing rpm fails the tests. */
export const noRpm: string | undefined = (() => {
  const tools = ['rpmbuild', 'rpmsign', 'rpmkeys', 'rpm2cpio', 'cpio'];
  const missing = tools.filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return undefined;
  if (process.env.CI === 'true')
    throw new Error(`${missing.join(', ')} required when CI=true (apt-get install rpm cpio)`);
  return `${missing.join(', ')} not installed (apt-get install rpm cpio)`;
})();

/** Builds a noarch package `name` in `dir` holding `files` (path -> content); returns its path. */
export function buildRpm(dir: string, name: string, files: Record<string, string>): string {
  const top = join(dir, `top-${name}`);
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const install = Object.entries(files)
    .map(([path, content], i) => {
      const source = join(dir, `${name}-src-${i}`);
      writeFileSync(source, content);
      return `mkdir -p %{buildroot}$(dirname ${path}) && cp ${source} %{buildroot}${path}`;
    })
    .join('\n');
  const spec = join(top, 'SPECS', `${name}.spec`);
  writeFileSync(
    spec,
    `Name: ${name}\nVersion: 1.0\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%install\n${install}\n%files\n${Object.keys(files).join('\n')}\n`,
  );
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '--quiet', '-bb', spec], {
    stdio: 'pipe',
  });
  const built = join(top, 'RPMS', 'noarch');
  const file = join(dir, `${name}.rpm`);
  copyFileSync(join(built, readdirSync(built)[0] as string), file);
  return file;
}

/** Signs a copy of `rpm` with the key `who` of `home`; returns the copy's path. */
export function signRpm(home: GpgHome, rpm: string, who: string, out: string): string {
  copyFileSync(rpm, out);
  execFileSync(
    'rpmsign',
    [
      '--define',
      '__gpg /usr/bin/gpg',
      '--define',
      `_gpg_name ${who}`,
      '--define',
      `_gpg_path ${home.dir}`,
      '--define',
      "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ''",
      '--addsign',
      out,
    ],
    { stdio: 'pipe' },
  );
  return out;
}

/** What `rpmkeys --checksig` says after the file name, with `keys` (armored) imported. */
export function rpmkeysChecksig(dir: string, keys: Buffer | undefined, rpm: string): string {
  const db = join(dir, `db-${Math.random().toString(36).slice(2)}`);
  mkdirSync(db);
  if (keys) {
    const keyFile = join(db, 'key.asc');
    writeFileSync(keyFile, keys);
    execFileSync('rpmkeys', ['--dbpath', db, '--import', keyFile]);
  }
  const result = spawnSync('rpmkeys', ['--dbpath', db, '--checksig', rpm], { encoding: 'utf8' });
  return result.stdout.trim().slice(rpm.length + 2);
}

/** `rpm -qp --dump`: path and digest of each file. */
export function rpmDump(rpm: string): Array<{ path: string; digest: string }> {
  return execFileSync('rpm', ['-qp', '--dump', rpm], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [path, , , digest] = line.split(' ');
      return {
        path: path as string,
        digest: /^0+$/.test(digest as string) ? '' : (digest as string),
      };
    });
}

/** Extracts the payload with rpm2cpio | cpio into `dir`. */
export function extract(rpm: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `rpm2cpio "$1" | cpio -idm --quiet`, 'sh', rpm], { cwd: dir });
}
