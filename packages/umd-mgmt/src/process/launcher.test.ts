import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, symlink, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLauncher, launcherWanted } from './launcher.js';

const BUILT = fileURLToPath(new URL('../../dist/native/umd-launcher', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'umd-launcher-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let made = 0;
/** A copy of the built launcher and its digest in a fresh directory `N/inner` (mode 0755). */
async function copy(): Promise<string> {
  const dir = join(work, String(made++), 'inner');
  await mkdir(dir, { mode: 0o755, recursive: true });
  const file = join(dir, 'umd-launcher');
  copyFileSync(BUILT, file);
  copyFileSync(`${BUILT}.sha256`, `${file}.sha256`);
  await chmod(file, 0o555);
  return file;
}

describe.runIf(process.platform === 'linux' && existsSync(BUILT))('findLauncher', () => {
  // Whatever the run forces (UMD_LAUNCHER=off runs every other test through the chain).
  const forced = process.env.UMD_LAUNCHER;
  beforeEach(() => {
    delete process.env.UMD_LAUNCHER;
  });
  afterEach(() => {
    if (forced === undefined) delete process.env.UMD_LAUNCHER;
    else process.env.UMD_LAUNCHER = forced;
  });

  it('accepts the built launcher, which runs here', async () => {
    const found = await findLauncher(await copy());
    expect(found).toMatchObject({ userNamespace: process.geteuid?.() !== 0 });
    if (process.geteuid?.() === 0) expect(found?.pidNamespace).toBe(true);
  });

  // Each of these would run something else than what the build made, or not run at all: the
  // host starts handlers through the program chain instead.
  type Spoil = [string, (file: string) => Promise<unknown>];
  const asRoot: Spoil[] = [['owned by another user', (file) => chown(file, 65534, 65534)]];
  const spoils: Spoil[] = [
    ['missing', async (file: string) => rmSync(file)],
    [
      'a symlink to the real one',
      async (file: string) => {
        rmSync(file);
        await symlink(BUILT, file);
      },
    ],
    [
      'a FIFO',
      async (file: string) => {
        rmSync(file);
        execFileSync('mkfifo', [file]);
      },
    ],
    ['writable by its group', (file: string) => chmod(file, 0o575)],
    ['in a directory others may write', (file: string) => chmod(join(file, '..'), 0o777)],
    ['under a directory others may write', (file: string) => chmod(join(file, '../..'), 0o777)],
    ['under one its group may write', (file: string) => chmod(join(file, '../..'), 0o775)],
    ['truncated', (file: string) => chmod(file, 0o755).then(() => truncate(file, 4096))],
    ['one byte longer', (file: string) => chmod(file, 0o755).then(() => appendFile(file, 'x'))],
    ['without its digest', async (file: string) => rmSync(`${file}.sha256`)],
    ['not executable', (file: string) => chmod(file, 0o444)],
    // It runs whatever its arguments say as whoever they say: set-id, any local user could
    // have it run a shell as root.
    ['set-user-ID', (file: string) => chmod(file, 0o4555)],
    ['set-group-ID', (file: string) => chmod(file, 0o2555)],
    ...(process.geteuid?.() === 0 ? asRoot : []),
  ];
  it.each(spoils)('refuses a launcher that is %s', async (_, spoil) => {
    const file = await copy();
    await spoil(file);
    expect(await findLauncher(file)).toBeUndefined();
  });

  // Under --preserve-symlinks the package's path may pass through a symlink (pnpm's
  // node_modules): the directories above the one it points to are the launcher's too.
  it('refuses one reached through a symlink whose target lies under a directory others may write', async () => {
    const file = await copy();
    const open = join(file, '../..');
    await chmod(open, 0o777);
    const link = `${open}-link`;
    await symlink(join(file, '..'), link);
    expect(await findLauncher(join(link, 'umd-launcher'))).toBeUndefined();
  });

  it('runs the real path of one reached through a symlink', async () => {
    const file = await copy();
    const link = join(file, '../../link');
    await symlink(join(file, '..'), link);
    expect((await findLauncher(join(link, 'umd-launcher')))?.file).toBe(file);
  });

  it('accepts one under a sticky directory others may write (like /tmp)', async () => {
    const file = await copy();
    await chmod(join(file, '../..'), 0o1777);
    expect(await findLauncher(file)).toBeDefined();
  });

  it('is not used with UMD_LAUNCHER=off', async () => {
    const file = await copy();
    process.env.UMD_LAUNCHER = 'off';
    expect(await findLauncher(file)).toBeUndefined();
  });

  it('reads UMD_LAUNCHER as a switch people write it, and warns of a value it does not know', async () => {
    const emitted = () => new Promise((resolve) => setImmediate(resolve)); // warnings come a tick later
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(`${warning.code}`);
    process.on('warning', onWarning);
    try {
      for (const off of ['off', 'OFF', ' Off ', '0', 'false', 'False', 'no'])
        expect(launcherWanted(off), off).toBe(false);
      for (const on of [undefined, '', 'on', 'ON', '1', 'true', 'yes'])
        expect(launcherWanted(on), String(on)).toBe(true);
      await emitted();
      expect(warnings).toEqual([]);
      expect(launcherWanted('of')).toBe(true);
      await emitted();
      expect(warnings).toEqual(['UMD_LAUNCHER_VALUE']);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
