/**
 * The world of a SET_REPLACE in enforcement mode with every concurrent step's end released by
 * fast-check's scheduler (set-replace.property.test.ts): a handler core in this process that
 * can lie in its receipt and die after its answer, a kernel that records what it was last told
 * to enforce, and an enforcement whose steps end as a {@link Plan} says. {@link checkReplaces}
 * runs replaces and checks what must hold after each; {@link checkAddCounters} does the same
 * for a SET_ADD_COUNTERS.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isUmdError } from '@umd/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { UmdManager } from '@umd/mgmt';
import {
  EntryBlob,
  IPT_SO_SET_ADD_COUNTERS,
  UMD_CMD_REPLACE,
  type XtCounters,
  decodeMboxRequest,
  encodeCountersInfo,
} from '../abi/index.js';
import { tableOfReplace } from '../enforce/early-compile.js';
import { EnforcementError } from '../enforce/errors.js';
import {
  type ReplaceTicket,
  SockoptEnforcement,
  withCounters,
} from '../enforce/sockopt-enforcement.js';
import { createHandlerCore } from '../handler/core.js';
import { encodeReplaceRequest } from '../model/index.js';
import { parseSave } from '../text/parse-save.js';
import { addCounters } from './add-counters.js';
import { KeptTables } from './kept-tables.js';
import { type ReplaceContext, setReplace } from './set-replace.js';
import { captureTable, getInfo, type TableSnapshot } from './table-snapshot.js';

const rules = (...lines: string[]) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
/** Tables of different sizes, so that a replace sized from the wrong table is refused. */
const TABLES = [
  rules('-A INPUT -p tcp -m tcp --dport 22 -j DROP'),
  rules('-A INPUT -p tcp -m tcp --dport 80 -j DROP', '-A INPUT -p tcp -m tcp --dport 81 -j DROP'),
  rules(':web - [0:0]', '-A INPUT -i eth0 -j web', '-A web -p udp -j ACCEPT', '-A web -j RETURN'),
].map((text) => parseSave(text)[0]!);
const HEADER = { pid: 1, addr: 0n };

/** How one replace's steps end (their order is the scheduler's). */
export interface Plan {
  table: number;
  /** `none`: the request held no table to compile early (the install then goes after). */
  early: 'compiled' | 'failed' | 'none';
  kernelBefore: 'counters' | 'none' | 'rejects';
  install: 'taken' | 'refused' | 'throws';
  receipt: 'true' | 'lie';
  death: 'none' | 'restarted at once' | 'restarted by the next request';
  reinstall: 'taken' | 'refused';
}

export const planArb: fc.Arbitrary<Plan> = fc.record({
  table: fc.nat(TABLES.length - 1),
  early: fc.constantFrom('compiled', 'failed', 'none'),
  kernelBefore: fc.constantFrom('counters', 'none', 'rejects'),
  install: fc.constantFrom('taken', 'refused', 'throws'),
  receipt: fc.constantFrom('true', 'lie'),
  death: fc.constantFrom('none', 'restarted at once', 'restarted by the next request'),
  reinstall: fc.constantFrom('taken', 'refused'),
});

/** Every step as it goes when nothing goes wrong. */
export const CALM: Omit<Plan, 'table'> = {
  early: 'compiled',
  kernelBefore: 'counters',
  install: 'taken',
  receipt: 'true',
  death: 'none',
  reinstall: 'taken',
};

/** The one step the scheduler releases next; `then` runs once it is released. */
type Step = <T>(then: () => T | Promise<T>) => Promise<T>;

/**
 * The handler: a core in this process that can die after an answer and is restarted as the
 * manager restarts it (a new generation, the kept tables restored before any request).
 */
class Handler {
  core = createHandlerCore();
  #dead = false;
  #restart: Promise<void> | undefined;
  readonly #kept: KeptTables;

  constructor(kept: KeptTables) {
    this.#kept = kept;
  }

  readonly send = async (bytes: Uint8Array): Promise<Uint8Array> => {
    await this.#alive();
    return this.core.handle(bytes);
  };

  /** Dies; restarted now or by the next request. */
  kill(now: boolean): void {
    this.#dead = true;
    if (now) void this.#alive();
  }

  async #alive(): Promise<void> {
    while (this.#restart) await this.#restart;
    if (!this.#dead) return;
    this.#dead = false;
    this.#restart = (async () => {
      // A restart takes a process start: never within the turn of the death.
      await nextTurn();
      this.core = createHandlerCore();
      this.#kept.newGeneration();
      await this.#kept.restoreInto(async (b) => this.core.handle(b));
    })();
    await this.#restart;
    this.#restart = undefined;
  }
}

/** The kernel: what it was last told to enforce, and counters for the table it enforces. */
class Kernel {
  enforced: TableSnapshot | undefined;
  /** What the last read returned. */
  lastRead: XtCounters[] | undefined;
  #counted = 0n;

  /** Counters of the enforced table's rules, different at each read. */
  counters(): XtCounters[] | undefined {
    const enforced = this.enforced;
    if (enforced === undefined) return undefined;
    this.#counted++;
    this.lastRead = new EntryBlob(enforced.entries)
      .offsets()
      .map((_, i) => ({ packets: this.#counted + BigInt(i), bytes: 40n * this.#counted }));
    return this.lastRead;
  }
}

/** bpfilter's kept tables, the handler and the kernel of one run. */
export interface World {
  kept: KeptTables;
  handler: Handler;
  kernel: Kernel;
}

/** A handler holding its default tables, nothing kept, nothing enforced. */
export function newWorld(): World {
  const kept = new KeptTables();
  return { kept, handler: new Handler(kept), kernel: new Kernel() };
}

/** An enforcement whose steps end as `plan` says, each when the scheduler releases it. */
function plannedEnforcement(kernel: Kernel, plan: Plan, step: Step): SockoptEnforcement {
  let commits = 0;
  const enforcement = {
    ready: async () => {},
    prepare(previous: TableSnapshot | undefined, _table: string, request: Uint8Array) {
      const table = tableOfReplace(request);
      const compiled = step(() => (plan.early === 'compiled' ? ({} as never) : undefined));
      const counters = kernel.counters();
      const kernelBefore = step(() => {
        if (plan.kernelBefore === 'rejects')
          throw new EnforcementError('unavailable', 'the counters helper exited');
        return plan.kernelBefore === 'counters' ? counters : undefined;
      });
      kernelBefore.catch(() => {});
      const early = plan.early === 'none' ? undefined : table && { table, compiled };
      return { previous, kernelBefore, early } satisfies ReplaceTicket;
    },
    async commit(snapshot: TableSnapshot, ticket: ReplaceTicket) {
      const outcome = commits++ === 0 ? plan.install : plan.reinstall;
      await ticket.early?.compiled;
      await step(() => {
        if (outcome === 'refused')
          throw new EnforcementError('kernel-refused', 'nft refused the ruleset', {
            table: snapshot.info.name,
          });
        if (outcome === 'throws') throw new Error('the batch helper exited');
        kernel.enforced = { info: snapshot.info, entries: new Uint8Array(snapshot.entries) };
      });
    },
    oldCounters: SockoptEnforcement.prototype.oldCounters,
  };
  return enforcement as unknown as SockoptEnforcement;
}

/** The handler's side of the change: its reply when released, a lie or not, then its death. */
function plannedChange(handler: Handler, plan: Plan, step: Step) {
  return async (bytes: Uint8Array): Promise<Uint8Array> => {
    const reply = await handler.send(bytes);
    const lie = plan.receipt === 'lie' && decodeMboxRequest(bytes)?.cmd === UMD_CMD_REPLACE;
    // The receipt of another table: the digest's last byte changed.
    if (lie && reply.length > 4) reply[reply.length - 1]! ^= 0xff;
    const answered = await step(() => reply);
    if (plan.death !== 'none') void step(() => handler.kill(plan.death === 'restarted at once'));
    return answered;
  };
}

/**
 * The rules of a table: its header's valid hooks and the entries with comefrom and counters
 * cleared (what a request leaves to the handler), as compared across the three holders.
 */
function rulesOf(snapshot: TableSnapshot) {
  const entries = new Uint8Array(snapshot.entries);
  const blob = new EntryBlob(entries);
  for (const offset of blob.offsets()) blob.clearComefromAndCounters(offset);
  const { name, validHooks, numEntries, size } = snapshot.info;
  const valid = (hooks: readonly number[]) => hooks.filter((_, h) => validHooks & (1 << h));
  const hooks = {
    entry: valid(snapshot.info.hookEntry),
    underflow: valid(snapshot.info.underflow),
  };
  return {
    name,
    validHooks,
    numEntries,
    size,
    hooks,
    entries: Buffer.from(entries).toString('hex'),
  };
}

const countersOf = (snapshot: TableSnapshot) =>
  new EntryBlob(snapshot.entries).offsets().map((o) => new EntryBlob(snapshot.entries).counters(o));

/** Runs `replace` while releasing the scheduler's steps one at a time, then the rest. */
export async function drive<T>(s: fc.Scheduler, replace: () => Promise<T>) {
  let settled = false;
  const outcome = replace().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error ?? new Error('undefined thrown') }),
  );
  void outcome.finally(() => {
    settled = true;
  });
  const release = async () => {
    if (s.count() > 0) await s.waitOne();
    else await nextTurn();
  };
  while (!settled) await release();
  // Steps still pending (a death after the replace) end too, before the holders are compared.
  for (let turns = 0; turns < 4; turns++) await release();
  return outcome;
}

/** A replace of the table `plan.table` sized now (as iptables sizes it), and its run. */
export async function replaceCall(world: World, plan: Plan, s: fc.Scheduler) {
  const { kept, handler, kernel } = world;
  const step: Step = (then) => s.schedule(Promise.resolve()).then(then);
  const enforcement = plannedEnforcement(kernel, plan, step);
  const stopHandler = async () => handler.kill(false);
  const context: ReplaceContext = {
    kept,
    enforced: { enforcement, kept, send: handler.send, stopHandler },
    send: handler.send,
    sendChange: plannedChange(handler, plan, step),
    stopHandler,
  };
  // From GET_INFO, answered from the kept table if there is one.
  const numEntries =
    kept.get('filter')?.info.numEntries ?? (await getInfo(handler.send, 'filter')).info!.numEntries;
  const optval = encodeReplaceRequest(TABLES[plan.table]!, numEntries);
  return () => setReplace(context, 'filter', { optval, inFrame: false }, HEADER);
}

async function replaceOnce(world: World, plan: Plan, s: fc.Scheduler) {
  return drive(s, await replaceCall(world, plan, s));
}

/** bpfilter, the handler and the kernel hold the same table; returns it. */
export async function sameInAllThree(world: World) {
  const held = await captureTable(world.handler.send, 'filter');
  const kept = world.kept.get('filter');
  if (kept !== undefined) {
    expect(kept.info).toEqual(held.info);
    expect(Buffer.from(kept.entries).toString('hex')).toBe(
      Buffer.from(held.entries).toString('hex'),
    );
  }
  const { enforced } = world.kernel;
  // A table never enforced yet: the kernel has nothing of it, bpfilter may have kept it.
  if (enforced !== undefined) expect(rulesOf(enforced)).toEqual(rulesOf(held));
  return held;
}

/**
 * Runs the replaces of `plans` from a handler holding its default tables and nothing kept or
 * enforced (so the first is of a table never kept), each followed by a calm one. After each:
 * bpfilter, the handler and the kernel hold the same table, the new one exactly when the
 * replace succeeded, else the previous one (its counters plus the kernel's when it was
 * enforced again; or the new one when the kernel took it and refused the previous one back),
 * the error is typed, and the calm replace, sized from what bpfilter answers, is taken.
 * `failed` sees each failed replace's error.
 */
export async function checkReplaces(
  plans: readonly Plan[],
  s: fc.Scheduler,
  failed: (error: unknown) => void = () => {},
): Promise<void> {
  const world = newWorld();
  const { handler } = world;
  for (const plan of plans) {
    const before = await captureTable(handler.send, 'filter');
    const kernelBefore = world.kernel.enforced;
    world.kernel.lastRead = undefined;
    const { value, error } = await replaceOnce(world, plan, s);
    const held = await sameInAllThree(world);
    const wanted = encodeReplaceRequest(TABLES[plan.table]!, 0);
    const asRequested = rulesOf({
      info: held.info,
      entries: tableOfReplace(wanted)!.entries,
    }).entries;
    if (error === undefined) {
      expect(value?.status).toBe(0);
      expect(rulesOf(held).entries).toBe(asRequested);
      expect(world.kernel.enforced).toBeDefined();
    } else {
      // A typed error, and the previous table everywhere.
      expect(isUmdError(error) && typeof error.code === 'string', String(error)).toBe(true);
      failed(error);
      // Unless the kernel took the new table and refused the previous one back: then the
      // new one, in all three.
      const keptNew = plan.reinstall === 'refused' && rulesOf(held).entries === asRequested;
      if (!keptNew) {
        expect(rulesOf(held)).toEqual(rulesOf(before));
        if (kernelBefore === undefined) expect(world.kernel.enforced).toBeUndefined();
        // Its counters as they were, or with the kernel's added when it was enforced again.
        const read = plan.kernelBefore === 'counters' ? world.kernel.lastRead : undefined;
        const allowed = [countersOf(before)];
        if (read !== undefined) allowed.push(countersOf(withCounters(before, read)));
        expect(allowed).toContainEqual(countersOf(held));
      }
    }
    // The next replace, sized from what bpfilter answers, is taken.
    const next = { ...CALM, table: (plan.table + 1) % TABLES.length };
    const calm = await replaceOnce(world, next, s);
    expect(calm.error, String(calm.error)).toBeUndefined();
    expect(calm.value?.status).toBe(0);
    await sameInAllThree(world);
  }
}

/**
 * A SET_ADD_COUNTERS of `added` (one pair a rule of the table `plan.table`, kept) whose handler
 * may die after its answer as `plan.death` says; then bpfilter and the handler hold the same
 * table, its counters plus `added` exactly when the call succeeded, else as they were (and a
 * typed error); and the next replace, sized from the kept table, is taken.
 */
export async function checkAddCounters(
  plan: Pick<Plan, 'table' | 'death'>,
  added: readonly number[],
  s: fc.Scheduler,
): Promise<void> {
  const world = newWorld();
  const { kept, handler } = world;
  const first = await replaceOnce(world, { ...CALM, table: plan.table }, s);
  expect(first.error).toBeUndefined();
  const before = await captureTable(handler.send, 'filter');
  const counters = countersOf(before).map((_, i) => {
    const n = BigInt(added[i % added.length] ?? 0);
    return { packets: n, bytes: 60n * n };
  });
  const optval = encodeCountersInfo({ name: 'filter', counters });
  const step: Step = (then) => s.schedule(Promise.resolve()).then(then);
  const change = plannedChange(handler, { ...CALM, ...plan }, step);
  const manager = { request: (bytes: Uint8Array) => change(bytes) } as unknown as UmdManager;
  const call = { optname: IPT_SO_SET_ADD_COUNTERS, table: 'filter', optval };
  const { value, error } = await drive(s, () => addCounters(manager, kept, call, {}));
  const held = await sameInAllThree(world);
  const sums = countersOf(before).map((c, i) => ({
    packets: c.packets + counters[i]!.packets,
    bytes: c.bytes + counters[i]!.bytes,
  }));
  if (error === undefined) {
    expect(value?.status).toBe(0);
    expect(countersOf(held)).toEqual(sums);
  } else {
    expect(isUmdError(error) && typeof error.code === 'string', String(error)).toBe(true);
    expect(countersOf(held)).toEqual(countersOf(before));
  }
  const next = await replaceOnce(world, { ...CALM, table: (plan.table + 1) % TABLES.length }, s);
  expect(next.error, String(next.error)).toBeUndefined();
  await sameInAllThree(world);
}
