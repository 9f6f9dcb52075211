/**
 * Runs Debian's `nft` (libnftables) in the process's network namespace: a JSON batch on
 * stdin (`nft -j -f FILE`, one atomic transaction: all of it or none), or a JSON listing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnforcementError } from './errors.js';

/** Options of the runner. */
export interface NftRunnerOptions {
  /** The nft program (default `nft`, looked up in PATH and the sbin directories). */
  nftPath?: string;
}

/** What one program run printed. */
export interface ProgramOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs nft and reports its exit code and output. */
export class NftRunner {
  readonly #program: string;

  constructor(options: NftRunnerOptions = {}) {
    this.#program = options.nftPath ?? 'nft';
  }

  /** Applies a JSON batch in one transaction; throws {@link EnforcementError} if nft refuses it. */
  async apply(batch: unknown, what: string, signal?: AbortSignal): Promise<void> {
    // nft opens /dev/stdin for `-f -`, which fails on the socket Node gives a child as its
    // stdin: the batch goes through a private file instead.
    const dir = await mkdtemp(join(tmpdir(), 'bpfilter-nft-'));
    let out: ProgramOutput;
    try {
      const file = join(dir, 'batch.json');
      await writeFile(file, JSON.stringify(batch), { mode: 0o600 });
      out = await this.#run(['-j', '-f', file], signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (out.code !== 0)
      throw new EnforcementError(
        'kernel-refused',
        `bpfilter enforcement: nft refused ${what}: ${failureOf(out.stderr, out.code)}`,
        { nftMessage: out.stderr },
      );
  }

  /** `nft -j list table ip NAME` parsed, or undefined when the table does not exist. */
  async listTable(name: string, signal?: AbortSignal): Promise<NftListing | undefined> {
    const stdout = await this.#listing(['-j'], name, signal);
    return stdout === undefined ? undefined : (JSON.parse(stdout) as NftListing);
  }

  /**
   * The comment of `ip` table `name` (`''` without one), or undefined when there is no such
   * table. nft's JSON (1.0.6) leaves a table's comment out: its text, terse, says it first.
   */
  async tableComment(name: string, signal?: AbortSignal): Promise<string | undefined> {
    const stdout = await this.#listing(['-t'], name, signal);
    if (stdout === undefined) return undefined;
    return /^table ip \S+ \{\n\tcomment "(.*)"$/m.exec(stdout)?.[1] ?? '';
  }

  /** `nft FLAGS list table ip NAME`'s output, or undefined when the table does not exist. */
  async #listing(flags: string[], name: string, signal?: AbortSignal): Promise<string | undefined> {
    const out = await this.#run([...flags, 'list', 'table', 'ip', name], signal);
    if (out.code === 0) return out.stdout;
    if (/No such file or directory/.test(out.stderr)) return undefined;
    throw new EnforcementError(
      'kernel-refused',
      `bpfilter enforcement: nft could not list table ${name}: ${oneLine(out.stderr)}`,
      { nftMessage: out.stderr },
    );
  }

  /** Names of the `ip` tables in this namespace. */
  async tableNames(signal?: AbortSignal): Promise<string[]> {
    const out = await this.#run(['-j', 'list', 'tables', 'ip'], signal);
    if (out.code !== 0)
      throw new EnforcementError(
        'unavailable',
        `bpfilter enforcement: nft cannot list this namespace's tables: ${failureOf(out.stderr, out.code)}`,
        { nftMessage: out.stderr },
      );
    const listing = JSON.parse(out.stdout) as NftListing;
    return listing.nftables.flatMap((item) => (item.table ? [item.table.name] : []));
  }

  #run(args: string[], signal?: AbortSignal): Promise<ProgramOutput> {
    return runProgram(this.#program, args, signal);
  }
}

/**
 * Runs `program` with `args` (no shell, no stdin) and reports its exit code and output; a
 * program that cannot be started is an `unavailable` {@link EnforcementError}.
 */
export function runProgram(
  program: string,
  args: string[],
  signal?: AbortSignal,
  hint = 'Debian package nftables',
): Promise<ProgramOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) =>
      reject(
        new EnforcementError(
          'unavailable',
          `bpfilter enforcement: cannot run ${program}: ${error.message} (${hint})`,
          { cause: error },
        ),
      ),
    );
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `nft -j list` output. */
export interface NftListing {
  nftables: {
    table?: { name: string };
    rule?: { chain: string; expr: Record<string, unknown>[] };
    map?: { name: string; elem?: [unknown, unknown][] };
    /** A counted set: its elements without data. */
    set?: { name: string; elem?: unknown[] };
  }[];
}

/** nft's message on one line, without its `^^^` markers. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^\^+$/.test(line))
    .join(' / ');
}

/** Why a program failed, as an error message ends: its output on one line, else its status. */
export function failureOf(output: string, code: number | null): string {
  return oneLine(output) || `exit status ${code}`;
}
