/**
 * Applies a replace transaction through the package's netlink helper
 * (native/bpfilter_nft_batch.c): the transaction compiled to nf_tables messages here
 * (netlink-table.ts), sent by the helper (kept running, helper-process.ts) as one batch. nft parses and evaluates a large
 * batch for longer than the kernel takes to apply it; this path skips that. A transaction
 * the compiler does not cover goes to nft unchanged.
 */
import { getSystemErrorName } from 'node:util';
import { EnforcementError } from './errors.js';
import type { NetlinkBatch } from './netlink-table.js';
import type { NftExpr } from './nft-expr.js';
import { HelperProcess } from './helper-process.js';
import { failureOf } from './nft-runner.js';

/** The helper's exit status when the kernel refused the batch. */
const EXIT_REFUSED = 1;

/** Sends compiled transactions through the helper at `program`. */
export class BatchWriter {
  readonly #helper: HelperProcess;

  constructor(program: string) {
    // A transaction is up to MBs: written to the helper in one system call.
    this.#helper = new HelperProcess(program, [], { shared: true });
  }

  /** Stops the helper process. */
  close(): void {
    this.#helper.close();
  }

  /**
   * Has the kernel finish freeing the rules that earlier batches replaced or deleted, and with
   * them the ipsets and other objects their nft_compat expressions held (the helper's
   * release()), as the legacy tables let go of them inside the SET_REPLACE. Resolves false if
   * the helper could not (it died, or had no socket to spare): the rules then go a moment
   * later, as they would without it; the transaction itself is applied either way.
   */
  async release(): Promise<boolean> {
    try {
      return (await this.#helper.request(new Uint8Array(0))).code === 0;
    } catch {
      return false;
    }
  }

  /**
   * Applies `batch` (compiled from `commands`) in one transaction; throws if the kernel
   * refuses. `commands` may be a function: it is called only to name what the kernel refused.
   */
  async apply(
    batch: NetlinkBatch,
    commands: readonly NftExpr[] | (() => readonly NftExpr[]),
    what: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const out = await this.#helper.request(batch.bytes, signal);
    if (out.code === 0) return;
    if (out.code !== EXIT_REFUSED)
      throw new EnforcementError(
        'kernel-refused',
        `bpfilter enforcement: cannot apply ${what}: ${failureOf(out.output, out.code)}`,
        { nftMessage: out.output },
      );
    const reasons = refusals(out.output).map(({ index, errno }) => {
      const name = errnoName(errno);
      const command = index < 0 ? undefined : batch.commandOf[index];
      if (command === undefined) return `the commit: ${name}`;
      const compat = batch.compatRules?.get(index);
      if (compat !== undefined) return `${compat}: ${name}`;
      return `${describe(listing(commands), command) ?? `message ${index}`}: ${name}`;
    });
    // EMLINK is the kernel's only word for a nesting too deep; it names where it stopped.
    const deep = refusals(out.output).some(({ errno }) => errnoName(errno) === 'EMLINK');
    const text = `nf_tables refused ${reasons.slice(0, 3).join('; ') || 'the batch'}${deep ? ` (${TOO_DEEP})` : ''}`;
    throw new EnforcementError(
      'kernel-refused',
      `bpfilter enforcement: nft refused ${what}: ${text}`,
      { nftMessage: text },
    );
  }
}

const TOO_DEEP =
  "EMLINK: user chains nested deeper than nf_tables' jump stack allows, at most 15 below a built-in chain (a segment's chain, or a built-in chain's rules chain, is one more level: see the enforcement docs' limits)";

function refusals(stdout: string): { index: number; errno: number }[] {
  return stdout.split('\n').flatMap((line) => {
    const m = /^refused (-?\d+) (\d+)$/.exec(line);
    return m ? [{ index: Number(m[1]), errno: Number(m[2]) }] : [];
  });
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** The commands, or none when nft's JSON cannot hold the table (nft_compat rules). */
function listing(commands: readonly NftExpr[] | (() => readonly NftExpr[])): readonly NftExpr[] {
  if (typeof commands !== 'function') return commands;
  try {
    return commands();
  } catch {
    return [];
  }
}

/** What command `index` of a transaction adds, as a refusal names it. */
function describe(commands: readonly NftExpr[], index: number): string | undefined {
  if (commands[index] === undefined) return undefined;
  const [verb, body] = Object.entries(commands[index] ?? {})[0] ?? [];
  const [kind, object] = Object.entries((body ?? {}) as NftExpr)[0] ?? [];
  const o = (object ?? {}) as { name?: string; chain?: string };
  if (kind !== 'rule') return `${verb} ${kind} ${o.name ?? ''}`.trim();
  let position = 0;
  for (let i = 0; i <= index; i++) {
    const rule = (commands[i]?.add as { rule?: { chain?: string } } | undefined)?.rule;
    if (rule?.chain === o.chain) position++;
  }
  return `nft rule ${position} of chain ${o.chain}`;
}
