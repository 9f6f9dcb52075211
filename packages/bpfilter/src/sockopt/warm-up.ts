/**
 * The replace path run on a warm-up table, so that V8 has made machine code of it before an
 * administrator's first `iptables-restore`. A service sees one SET_REPLACE per restore and
 * V8 optimizes a function only after it ran many times, so without this the first five or so
 * restores after a start ran partly interpreted, and V8's compiler threads competed with them
 * for the CPU. Each round takes the steps of a replace that need no kernel and change nothing:
 * the handler's replace and add-counters on a throwaway store of its own
 * (`UMD_CMD_REHEARSE_REPLACE`, which answers the digest of the table it kept), the table the
 * front end builds from the same bytes (replace-candidate.ts) and the GET_ENTRIES answer from
 * it, and in enforcement mode the early compile in the worker and the kernel counters' path on
 * a made-up reading (counters-rehearsal.ts).
 */
import {
  encodeGetEntriesRequest,
  encodeReplace,
  type HookOffsets,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_SO_GET_ENTRIES,
  UMD_CMD_REHEARSE_REPLACE,
} from '../abi/index.js';
import type { CompiledTable } from '../enforce/compile-table.js';
import { type Compile, compileEarly, sameTable } from '../enforce/early-compile.js';
import { WARM_UP_LARGE_RULES, WARM_UP_RULES, warmUpTable } from '../model/warm-up-table.js';
import { keptAnswer } from './kept-answers.js';
import { replaceCandidate } from './replace-candidate.js';
import { exchange, type SendRequest } from './table-snapshot.js';

/** Warm-up rounds by default: V8 has optimized the path by then (docs: Performance > Apply). */
export const WARM_UP_ROUNDS = 8;

/** What a warm-up round uses of the front end. */
export interface WarmUpSteps {
  /** Sends a request to the handler (starting it if needed). */
  send: SendRequest;
  /** The enforcement compile (the worker), if enforcing. */
  compile?: Compile;
  /**
   * What a replace does next with a compiled table (of `entries`) that needs no kernel
   * (`NftEnforcer.rehearse`), if enforcing.
   */
  rehearse?: (compiled: CompiledTable, entries: Uint8Array) => void;
}

/** How the front end runs the warm-up between its calls. */
export interface WarmUpRunner {
  /** Runs a round when no call runs (under the front end's lock). */
  exclusive: (round: () => Promise<void>) => Promise<void>;
  /** Whether the front end stopped since the warm-up began: it ends then, quietly. */
  stopped: () => boolean;
}

/**
 * `rounds` rounds of {@link warmUpRound}, one at a time, each between two of the front end's
 * calls (a call waits for one round at most); ends early and quietly if the front end stops.
 */
export async function warmUp(
  steps: WarmUpSteps,
  runner: WarmUpRunner,
  rounds = WARM_UP_ROUNDS,
): Promise<void> {
  const small = warmUpRequest();
  let large: Uint8Array | undefined;
  for (let round = 0; round < rounds && !runner.stopped(); round++) {
    // The first half on the small table (a cold round of the large one takes several times as
    // long, and a first request may wait for a round), the rest on the large one.
    if (round >= rounds / 2) large ??= warmUpRequest(WARM_UP_LARGE_RULES);
    const bytes = large ?? small;
    // Every other round as a Buffer, the kind the service hands on (a frame's payload), the
    // others as the plain array an API caller may pass: V8's code of the path then knows both,
    // where code made for one was thrown away at the first real request of the other kind.
    const request =
      round % 2 === 1 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
    try {
      // Checked again under the lock: a round after a stop would start a handler again.
      await runner.exclusive(async () => {
        if (!runner.stopped()) await warmUpRound(steps, request);
      });
    } catch (error) {
      if (runner.stopped()) return;
      throw error;
    }
  }
}

/** The SET_REPLACE request of the warm-up table (warm-up-table.ts) of about `rules` rules. */
export function warmUpRequest(rules = WARM_UP_RULES): Uint8Array {
  const table = warmUpTable(rules);
  // The hooks the table has not, as iptables sends them (what the kernel's GET_INFO gave it):
  // all ones, where the model's encoder writes 0. Numbers past a small integer make another
  // kind of array in V8, whose code of this path, made for the zeros, was thrown away at the
  // first real request.
  const asIptablesSends = (hooks: HookOffsets) =>
    hooks.map((at, hook) => (table.validHooks & (1 << hook) ? at : NO_HOOK)) as HookOffsets;
  return encodeReplace({
    ...table,
    hookEntry: asIptablesSends(table.hookEntry),
    underflow: asIptablesSends(table.underflow),
    numCounters: table.numEntries,
    countersPointer: 0n,
  });
}

/** A hook's entry and underflow when the table has no such hook, as the kernel reports them. */
const NO_HOOK = 0xffffffff;

/**
 * One round of the warm-up on `request` (from {@link warmUpRequest}).
 * @throws Error when the handler refuses the warm-up table or takes another than the front
 * end builds (a bug: the handler's receipts of real replaces would then be refused too).
 */
export async function warmUpRound(steps: WarmUpSteps, request: Uint8Array): Promise<void> {
  const check = exchange(steps.send, {
    isSet: true,
    cmd: UMD_CMD_REHEARSE_REPLACE,
    data: request,
    pid: process.pid,
  });
  // Awaited below; a rejection meanwhile must not count as unhandled.
  check.catch(() => {});
  const early = steps.compile && compileEarly(request, steps.compile);
  const candidate = replaceCandidate(request);
  if (candidate === undefined) throw new Error('bpfilter warm-up: the warm-up table is no table');
  const { info, entries } = candidate.snapshot;
  // iptables' GET_ENTRIES: the header, then zeros where the entries go.
  const optval = new Uint8Array(IPT_GET_ENTRIES_HEADER_SIZE + info.size);
  optval.set(encodeGetEntriesRequest(info.name, info.size));
  if (keptAnswer(IPT_SO_GET_ENTRIES, optval, () => candidate.snapshot) === undefined)
    throw new Error('bpfilter warm-up: no GET_ENTRIES answer from the warm-up table');
  const { status, body } = await check;
  if (status !== 0 || !Buffer.from(candidate.digest).equals(body))
    throw new Error(
      `bpfilter warm-up: the handler ${status === 0 ? 'checked another table than the front end built' : `refused the warm-up table (${status})`}`,
    );
  const compiled = await early?.compiled;
  if (early !== undefined && compiled === undefined)
    throw new Error('bpfilter warm-up: the warm-up table did not compile');
  if (early !== undefined && !sameTable(early.table, { name: info.name, layout: info, entries }))
    throw new Error('bpfilter warm-up: the early compile read another table');
  if (compiled !== undefined) steps.rehearse?.(compiled, entries);
}
