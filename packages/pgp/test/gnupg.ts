/**
 * GnuPG for the tests: throwaway homes, keys made with `gpg --quick-gen-key`, and gpg's own
 * verdicts read from `--status-fd`. Required when CI=true; the tests skip without gpg.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why gpg cannot be used here, or undefined. Under CI=true a missing gpg fails the tests. */
export const noGpg: string | undefined = (() => {
  const probe = spawnSync('gpg', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  if (process.env.CI === 'true')
    throw new Error('gpg is required when CI=true (apt-get install gnupg)');
  return 'gpg is not installed (apt-get install gnupg)';
})();

/** A GnuPG home in a temporary directory. */
export class GpgHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'umd-pgp-gpg-'));

  constructor() {
    chmodSync(this.dir, 0o700);
  }

  /** Runs gpg in this home; throws with its stderr when it fails (unless `allowFail`). */
  run(
    args: string[],
    options: { input?: Uint8Array | string; allowFail?: boolean; time?: string } = {},
  ) {
    const base = [
      '--homedir',
      this.dir,
      '--batch',
      '--yes',
      '--no-tty',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
    ];
    if (options.time) base.push('--faked-system-time', options.time);
    const result = spawnSync('gpg', [...base, ...args], {
      input: options.input,
      maxBuffer: 1 << 28,
    });
    if (result.status !== 0 && !options.allowFail) {
      throw new Error(`gpg ${args.join(' ')} failed: ${result.stderr.toString()}`);
    }
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
  }

  /** Makes a key and returns its fingerprint. */
  genKey(uid: string, algo: string, usage = 'sign', expire = '2y', time?: string): string {
    const { stderr } = this.run(
      ['--quick-gen-key', uid, algo, usage, expire],
      time ? { time } : {},
    );
    const fpr = /([0-9A-F]{40})\.rev/.exec(stderr)?.[1];
    if (!fpr) throw new Error(`no fingerprint in: ${stderr}`);
    return fpr;
  }

  /** The public key(s), binary or armored. */
  exportKeys(fprs: string[], armor = false): Buffer {
    return this.run(['--export', ...(armor ? ['--armor'] : []), ...fprs]).stdout;
  }

  /** Revokes a key with the revocation certificate gpg stored when it made it. */
  revoke(fpr: string): void {
    const path = join(this.dir, 'openpgp-revocs.d', `${fpr}.rev`);
    const text = spawnSync('cat', [path], { encoding: 'utf8' }).stdout.replace(/^:-----/m, '-----');
    this.run(['--import'], { input: text });
  }

  /** Stops this home's agent and removes it. */
  dispose(): void {
    spawnSync('gpgconf', ['--homedir', this.dir, '--kill', 'all']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A verdict, as gpg names it and as the driver's statuses map to it. */
export type Verdict =
  | 'good'
  | 'bad'
  | 'expired-key'
  | 'revoked-key'
  | 'expired-signature'
  | 'no-public-key'
  | 'error';

/** gpg's verdict from its status lines: the first signature's. */
export function verdictOf(status: string): Verdict {
  for (const line of status.split('\n')) {
    const [tag, kind, ...rest] = line.split(' ');
    if (tag !== '[GNUPG:]') continue;
    if (kind === 'GOODSIG') return 'good';
    if (kind === 'BADSIG') return 'bad';
    if (kind === 'EXPKEYSIG') return 'expired-key';
    if (kind === 'REVKEYSIG') return 'revoked-key';
    if (kind === 'EXPSIG') return 'expired-signature';
    if (kind === 'ERRSIG') return rest[5] === '9' ? 'no-public-key' : 'error';
  }
  return 'error';
}

const VERIFY_BASE = ['--batch', '--no-tty', '--no-autostart', '--status-fd', '1'];

/** Runs a GnuPG program and returns its standard output, whatever its exit status. */
function gpgAsync(args: string[], input?: Uint8Array, program = 'gpg'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(out).toString()));
    child.stdin.end(input);
  });
}

/**
 * gpg's verdict on a signature in a fresh home holding only `keys` (no agent is started, so
 * none is left to stop). Asynchronous: many can run at once.
 */
export async function gpgVerifyAsync(
  keys: Uint8Array,
  args: (dir: string) => string[],
  input?: Uint8Array,
): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'umd-pgp-gpgv-'));
  try {
    chmodSync(dir, 0o700);
    const home = ['--homedir', dir, ...VERIFY_BASE];
    if (keys.length > 0) await gpgAsync([...home, '--import'], keys);
    return verdictOf(await gpgAsync([...home, ...args(dir)], input));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** gpgv's verdict on a detached signature (`-` for it on stdin) by the keys of `keyring`. */
export async function gpgvVerifyAsync(
  keyring: string,
  signature: Uint8Array,
  data: string,
): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'umd-pgp-gpgv-'));
  try {
    const args = ['--homedir', dir, '--status-fd', '1', '--keyring', keyring, '-'];
    return verdictOf(await gpgAsync([...args, put(dir, 'd', data)], signature, 'gpgv'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** gpg's verdict on a signature in a fresh home holding only `keys`. */
export function gpgVerify(
  keys: Uint8Array,
  args: (dir: string) => string[],
  input?: Uint8Array,
): Verdict {
  const dir = mkdtempSync(join(tmpdir(), 'umd-pgp-gpgv-'));
  try {
    chmodSync(dir, 0o700);
    const home = ['--homedir', dir, ...VERIFY_BASE];
    if (keys.length > 0) spawnSync('gpg', [...home, '--import'], { input: keys });
    const result = spawnSync('gpg', [...home, ...args(dir)], {
      maxBuffer: 1 << 28,
      ...(input ? { input } : {}),
    });
    return verdictOf(result.stdout.toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `bytes` into a new file of `dir` and returns its path. */
export function put(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
