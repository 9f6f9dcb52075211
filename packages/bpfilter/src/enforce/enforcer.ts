/**
 * The enforcement back end: keeps the kernel of this network namespace holding, in
 * nftables, exactly the tables bpfilter holds. One nft transaction per change, so a table is
 * enforced whole or not at all; the plan of each enforced table maps its nft counters back
 * to iptables entries.
 */
import type { XtCounters } from '../abi/index.js';
import type { Table } from '../model/types.js';
import { timed, timedSync } from '../sockopt/phase-log.js';
import { BatchWriter } from './batch-writer.js';
import {
  type CompiledTable,
  compileTable,
  type EnforcedPlan,
  layoutEnforced,
  namedAs,
  replaceCommands,
  type TableEntries,
  tryCompile,
} from './compile-table.js';
import { countersOf } from './counters.js';
import { rehearseCounters } from './counters-rehearsal.js';
import { EnforcementError } from './errors.js';
import { CounterReader } from './nft-counters.js';
import { builtHelper } from './helper-process.js';
import type { NetlinkBatch } from './netlink-table.js';
import type { NftExpr } from './nft-expr.js';
import { isEnforceableTable, NFT_TABLE_PREFIX } from './nft-layout.js';
import { NftRunner, type NftRunnerOptions } from './nft-runner.js';
import { type NamedTable, PlainTables } from './plain-tables.js';
import { TableCompiler } from './table-compiler.js';
import { enforcedPlan, type TableLayout } from './table-layout.js';
import { type NftTablePlan, planOf, replaceTransaction } from './translate-table.js';

/** Options of enforcement (`enforce: true` means all defaults). */
export interface EnforceOptions extends NftRunnerOptions {
  /**
   * The program that reads counters over netlink (default: `dist/native/bpfilter_nft_counters`,
   * built with the package when a C compiler was there); `false` reads them from
   * `nft -j list table` instead, which is what happens when it was not built.
   */
  counterReader?: string | false;
  /**
   * The program that sends a compiled transaction over netlink (default:
   * `dist/native/bpfilter_nft_batch`, built with the package when a C compiler was there);
   * `false` gives every transaction to `nft -j -f`, which is also what happens to a table
   * holding a statement the compiler does not cover, and when the helper was not built.
   */
  batchWriter?: string | false;
  /**
   * The worker thread that compiles replaced tables (default: `dist/enforce-compile-worker.js`);
   * `false` compiles them on the service's thread, which is also what happens from sources.
   */
  compileWorker?: string | false;
  /**
   * The program that looks ipsets up in this namespace's kernel for iptables' SO_IP_SET
   * (default: `dist/native/bpfilter_ipset`, built with the package when a C compiler was
   * there); `false`, or no helper built, answers as a kernel without sets, as bpfilter does
   * without enforcement (iptables then says a set named in `-m set` or `-j SET` does not exist).
   */
  ipsetLookup?: string | false;
}

/** Installs tables into the kernel through nft and reads their counters back. */
export class NftEnforcer {
  readonly #nft: NftRunner;
  readonly #counters: CounterReader;
  readonly #batch: BatchWriter | undefined;
  readonly #compiler: TableCompiler;
  readonly #plans = new Map<string, EnforcedPlan>();
  /** What the enforced form of each table holds through nft_compat (`Compat.held`), if any. */
  readonly #xtHeld = new Map<string, ReadonlySet<string>>();
  readonly #plain: PlainTables;
  /** Of each table enforced under its own name, the rules this service wrote into each chain. */
  readonly #written = new Map<string, ReadonlyMap<string, number>>();
  #started = false;

  constructor(options: EnforceOptions = {}) {
    this.#nft = new NftRunner(options);
    this.#plain = new PlainTables(this.#nft);
    const helper = options.counterReader ?? builtHelper('bpfilter_nft_counters');
    this.#counters = new CounterReader(this.#nft, helper === false ? undefined : helper);
    const writer = options.batchWriter ?? builtHelper('bpfilter_nft_batch');
    this.#batch = writer === false || writer === undefined ? undefined : new BatchWriter(writer);
    this.#compiler = new TableCompiler(options.compileWorker);
  }

  /** Stops the helper processes (idempotent); the next call starts them again. */
  close(): void {
    this.#counters.close();
    this.#batch?.close();
    this.#compiler.close();
  }

  /** Whether {@link start} has run. */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Takes over this namespace's `bpfilter_*` nft tables, and those named as iptables tables
   * that carry bpfilter's comment: in one transaction, installs `tables` and deletes every
   * other such table (left by an earlier service), so the kernel holds what bpfilter holds.
   * Fails if nft is missing or refuses.
   */
  async start(tables: readonly Table[], signal?: AbortSignal): Promise<void> {
    // Up while nft lists the tables (and, at a first request, while iptables parses its rules).
    this.#compiler.start();
    const layouts = tables.filter((t) => isEnforceableTable(t.name)).map(layoutEnforced);
    const keep = new Set(layouts.map((p) => p.nftTable));
    const names = await this.#nft.tableNames(signal);
    const found = names.filter((name) => name.startsWith(NFT_TABLE_PREFIX));
    // A kept table written under its own name keeps that one (tryCompile leaves it out).
    found.push(...(await this.#plain.left(names, signal)));
    const stale = found.filter((name) => !keep.has(name));
    // Tables found here are an earlier service's, whatever they hold: let go as if they held xt.
    const named =
      layouts.length > 0 || stale.length > 0
        ? await this.#apply(layouts, stale, 'the kept tables', signal, found.length > 0)
        : layouts;
    for (const layout of named) this.#plans.set(layout.table, enforcedPlan(layout));
    this.#started = true;
  }

  /** Replaces the enforced form of `plan.table` in one transaction; the old one stays if nft refuses. */
  async replace(plan: NftTablePlan, signal?: AbortSignal): Promise<void> {
    const drop = this.#plain.has(plan.table) ? [plan.table] : [];
    const [named] = await withTable(plan.table, async () => {
      await this.#onlyOurs(plan.table, signal);
      return this.#apply([plan], drop, `table "${plan.table}"`, signal);
    });
    this.#plans.set(plan.table, enforcedPlan(named ?? plan));
  }

  /**
   * Compiles the table `input` holds (its entry blob) for {@link install}, in the compile
   * worker; nothing reaches the kernel. `give`: the entries' memory is the compile's to take
   * (moved into the worker; the caller must not use it after).
   * @throws EnforcementError `untranslatable` for a rule nft cannot express.
   */
  compile(input: TableEntries, give = false): Promise<CompiledTable> {
    return this.#compiler.compile(this.#compileInput(input), give);
  }

  /**
   * Replaces the enforced form of the table `input` holds in one transaction, with `compiled`
   * (what {@link compile} returned for it), as {@link replace} does.
   * @throws EnforcementError `kernel-refused` when the kernel refuses (the old table stays).
   */
  async install(input: TableEntries, early: CompiledTable, signal?: AbortSignal): Promise<void> {
    const compiled = this.#current(input, early);
    const { plan } = compiled;
    const drop = compiled.dropped ? [input.name] : [];
    await withTable(input.name, async () => {
      await this.#plain.claim([plan], signal);
      await this.#onlyOurs(input.name, signal);
    });
    // Without a batch, the JSON: compiled with the table, or again when nft must name a refusal.
    const commands = () => compiled.transaction?.nftables ?? replaceCommands(input);
    await withTable(input.name, () =>
      this.#claimed([plan], signal, () =>
        this.#send(compiled.batch, commands, [input.name], `table "${input.name}"`, signal),
      ),
    );
    this.#plain.applied([plan], drop);
    this.#plans.set(plan.table, plan);
    // Applied: the helper read all of it, and its memory can take the next batch.
    if (compiled.batch) this.#compiler.recycle(compiled.batch.bytes);
  }

  /**
   * For the warm-up: what a replace does with `compiled` (the table of `entries`, from
   * {@link compile}) that needs no kernel: the counters' path on a made-up reading, and its
   * batch's memory handed back for the next compile, as after an install.
   */
  rehearse(compiled: CompiledTable, entries: Uint8Array): void {
    rehearseCounters(compiled.plan, entries);
    if (compiled.batch) this.#compiler.recycle(compiled.batch.bytes);
  }

  #compileInput(input: TableEntries) {
    return { ...input, netlink: this.#batch !== undefined, dropPlain: this.#plain.has(input.name) };
  }

  /**
   * `compiled`, or the table compiled again here when it was compiled (early, in the worker)
   * for a kernel that held bpfilter's table under the other name than it holds now.
   */
  #current(input: TableEntries, compiled: CompiledTable): CompiledTable {
    if (compiled.ownedPlain === this.#plain.has(input.name)) return compiled;
    return timedSync('compile', () => compileTable(this.#compileInput(input)));
  }

  /**
   * One transaction that installs `tables` and deletes `drop`: compiled here and sent through
   * the netlink helper when that compiles, else as nft JSON through nft. Resolves to `tables`
   * under the nft names they were written with.
   */
  async #apply<T extends TableLayout>(
    tables: readonly T[],
    drop: readonly string[],
    what: string,
    signal?: AbortSignal,
    unknown = false,
  ): Promise<T[]> {
    const batch = timedSync('compile', () => this.#batch && tryCompile(tables, drop));
    const named = tables.map((t) => namedAs(t, batch));
    await this.#plain.claim(named, signal);
    const commands = () =>
      replaceTransaction(
        tables.map((t) => ('commands' in t ? (t as NftTablePlan) : planOf(t))),
        drop,
      ).nftables;
    const names = tables.map((t) => t.table);
    await this.#claimed(named, signal, () =>
      this.#send(batch, commands, names, what, signal, unknown),
    );
    this.#plain.applied(named, drop);
    return named;
  }

  /**
   * Checks that bpfilter's `table` under its own name (`ip raw`), which a replace deletes, holds
   * only the rules this service wrote: iptables-nft run in the namespace adds its own to a table
   * of that name, and a replace would drop them unseen.
   * @throws EnforcementError `kernel-refused` naming the chains that hold rules of another's.
   */
  async #onlyOurs(table: string, signal?: AbortSignal): Promise<void> {
    const written = this.#written.get(table);
    if (written === undefined || !this.#plain.has(table)) return;
    const reading = await this.#counters.read(table, [], signal);
    if (reading === undefined) return;
    const chains = new Set([...reading.rules.keys(), ...written.keys()]);
    const counts = [...chains].flatMap((chain) => {
      const [now, wrote] = [reading.rules.get(chain)?.length ?? 0, written.get(chain) ?? 0];
      return now === wrote ? [] : [`${chain}: ${now} rules, bpfilter wrote ${wrote}`];
    });
    if (counts.length === 0) return;
    throw new EnforcementError(
      'kernel-refused',
      `bpfilter enforcement: bpfilter's nf_tables table "ip ${table}" holds other rules than bpfilter wrote (chain ${counts.join('; chain ')}): iptables-nft run in this namespace writes into a table of that name. A replace would drop what it wrote, so it is refused and the table stays as it is: delete those rules (iptables-nft -t ${table} -D ..., or nft delete rule), and run iptables through bpfilter exec`,
      { table },
    );
  }

  /**
   * Runs `send`, the transaction that writes `tables`. The names were checked before it, and
   * the kernel refuses it (EEXIST) if a table of one of them appeared since: that refusal is
   * then named as the check names it.
   */
  async #claimed(
    tables: readonly NamedTable[],
    signal: AbortSignal | undefined,
    send: () => Promise<void>,
  ): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (error instanceof EnforcementError && error.failure === 'kernel-refused')
        await this.#plain.claim(tables, signal, error);
      throw error;
    }
  }

  /**
   * Sends one transaction that replaces `tables`: `batch` through the netlink helper, or,
   * without a batch or a helper, `commands` through nft (`commands` also names what the kernel
   * refused). When the old form of one of them held something through an xt module that the
   * new one does not (or `unknown`: the kernel's old tables are not this service's), the kernel
   * frees the old rules before this resolves, so an ipset only they named can be destroyed at
   * once, as after a legacy SET_REPLACE.
   */
  async #send(
    batch: NetlinkBatch | undefined,
    commands: () => NftExpr[],
    tables: readonly string[],
    what: string,
    signal?: AbortSignal,
    unknown = false,
  ): Promise<void> {
    const writer = this.#batch;
    if (writer === undefined || batch === undefined) {
      await timed('nft', () => this.#nft.apply({ nftables: commands() }, what, signal));
      for (const table of tables) this.#written.delete(table);
      // nft's JSON holds no xt, and nft's socket, closed as it exited, freed the old rules.
      for (const table of tables) this.#xtHeld.delete(table);
      return;
    }
    await timed('netlink', () => writer.apply(batch, commands, what, signal));
    for (const table of tables) {
      const written = batch.written?.get(table);
      written ? this.#written.set(table, written) : this.#written.delete(table);
    }
    const now = (table: string) => batch.xtHeld?.get(table) ?? NOTHING;
    const dropped = (table: string) =>
      [...(this.#xtHeld.get(table) ?? [])].some((x) => !now(table).has(x));
    const release = unknown || tables.some(dropped);
    for (const table of tables)
      now(table).size > 0 ? this.#xtHeld.set(table, now(table)) : this.#xtHeld.delete(table);
    // Not worth a wait (an RCU grace period) when the new rules hold all the old ones did: a
    // set they still name cannot be destroyed either way.
    if (release) await timed('release', () => writer.release());
  }

  /**
   * The plan `table` is enforced with now (a new object at each install): counters read under
   * one plan map to that plan's entries only.
   */
  currentPlan(table: string): EnforcedPlan | undefined {
    return this.#plans.get(table);
  }

  /** The kernel's counters of the enforced `table`, by entry index; undefined if not enforced. */
  async counters(table: string, signal?: AbortSignal): Promise<XtCounters[] | undefined> {
    const plan = this.#plans.get(table);
    if (plan === undefined) return undefined;
    const reading = await this.#counters.read(plan.nftTable, plan.maps, signal);
    if (reading === undefined)
      throw new EnforcementError(
        'kernel-refused',
        `bpfilter enforcement: nft table ${plan.nftTable} is gone from the kernel (deleted by someone else?)`,
        { table },
      );
    return countersOf(plan, reading);
  }
}

const NOTHING: ReadonlySet<string> = new Set();

/** Runs `step`; an EnforcementError that names no table gets `table`. */
async function withTable<T>(table: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof EnforcementError && error.table === undefined)
      throw new EnforcementError(error.failure, error.message, {
        table,
        nftMessage: error.nftMessage,
        cause: error.cause,
      });
    throw error;
  }
}
