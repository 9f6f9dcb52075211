/**
 * The TypeScript API of bpfilter, for users who do not speak the binary ABI: tables as
 * chains and rules, replaced through the same SET_REPLACE path iptables uses, packets
 * classified, and the iptables-save text format in and out.
 */
import { type RequestOptions, UmdError, UmdErrorCode } from '@umd/core';
import { builtinChains, TABLE_HOOKS } from '../model/index.js';
import type { Table } from '../model/types.js';
import { connectService } from '../service/client.js';
import { BpfilterSockopt, type BpfilterSockoptOptions } from '../sockopt/index.js';
import { formatSave, printable, type FormatSaveOptions } from '../text/print-save.js';
import { parseSave } from '../text/parse-save.js';
import {
  type BatchOptions,
  type BatchResult,
  decodeBatchReply,
  encodeBatch,
} from './batch-codec.js';
import type { ClassifyResult, PacketDescription } from './classify-types.js';
import { callerJson, callOptions } from './call-options.js';
import { refused } from './refusal.js';
import { iptablesSave, type SaveSource } from './save-fallback.js';
import {
  readTable,
  type ReplaceOptions,
  type ReplaceResult,
  writeTable,
} from './table-sockopts.js';
import { type BpfilterTransport, serviceTransport, sockoptTransport } from './transport.js';

export type { ReplaceOptions, ReplaceResult } from './table-sockopts.js';

/** Options of {@link Bpfilter}: an in-process front end (default) or any transport. */
export interface BpfilterOptions extends BpfilterSockoptOptions {
  /** Reach bpfilter through this transport instead of starting an in-process front end. */
  transport?: BpfilterTransport;
}

/**
 * bpfilter for TypeScript callers. By default it runs its own handler (started on the first
 * call; tables survive handler restarts); {@link Bpfilter.connect} talks to a running
 * `bpfilter serve` instead, sharing its tables with iptables programs run through `bpfilter exec`.
 *
 * Every method rejects with a `UmdError`: `UMD_HANDLER_ERROR` (with `handlerCode` = -errno)
 * when bpfilter refused the request, `UMD_INVALID_ARGUMENT` for a table or text it cannot
 * encode, and the manager's codes (`UMD_HANDLER_EXITED`, `UMD_TIMEOUT`...) for transport faults.
 */
export class Bpfilter {
  /** How this instance reaches bpfilter. */
  readonly transport: BpfilterTransport;
  /** The in-process front end, when this instance runs its own handler. */
  readonly sockopt: BpfilterSockopt | undefined;

  constructor(options: BpfilterOptions = {}) {
    const { transport, ...sockoptOptions } = options ?? {};
    this.sockopt = transport ? undefined : new BpfilterSockopt(sockoptOptions);
    this.transport = transport ?? sockoptTransport(this.sockopt!);
  }

  /**
   * Connects to a running `bpfilter serve` at `socketPath` and waits for its HELLO.
   * `options.timeoutMs` (default 10 s) bounds the connection and the HELLO together;
   * `options.signal` stops either (an aborted signal connects nothing).
   * @throws UmdError `UMD_START_FAILED` if nothing listens there, `UMD_PROTOCOL` if it does not
   * speak umd, `UMD_TIMEOUT`, `UMD_ABORTED`, `UMD_INVALID_ARGUMENT` for options it cannot use.
   */
  static async connect(socketPath: string, options: RequestOptions = {}): Promise<Bpfilter> {
    const bpfilter = new Bpfilter({
      transport: serviceTransport(await connectService(socketPath, options)),
    });
    bpfilter.#socketPath = socketPath;
    return bpfilter;
  }

  /** The service socket of a connected instance (for `save()`'s iptables-legacy-save). */
  #socketPath: string | undefined;

  /** Names of the tables in use, newest first (as `/proc/net/ip_tables_names` lists them). */
  async tableNames(options: RequestOptions = {}): Promise<string[]> {
    return this.transport.tableNames(callOptions(options));
  }

  /** Reads a table (`filter`, `mangle`, `raw`) as chains and rules, with counters. */
  async listTable(name: string, options: RequestOptions = {}): Promise<Table> {
    return readTable(this.transport, name, callOptions(options));
  }

  /**
   * Replaces a whole table atomically (SET_REPLACE with the table encoded as iptables lays it
   * out, user chains in `strcmp` order as libiptc writes them), then, unless
   * `options.counters` is false, adds the table's own counters (SET_ADD_COUNTERS).
   */
  async replaceTable(
    name: string,
    table: Table,
    options: ReplaceOptions = {},
  ): Promise<ReplaceResult> {
    return writeTable(this.transport, name, table, callOptions(options));
  }

  /**
   * Classifies a packet arriving at built-in chain `hook` of `table`: the verdict, the rule
   * that decided it, the LOG events on the way; the matched rules' counters are updated.
   */
  async classify(
    table: string,
    hook: string,
    packet: PacketDescription,
    options: RequestOptions = {},
  ): Promise<ClassifyResult> {
    const checked = callOptions(options);
    const body = new TextEncoder().encode(callerJson({ table, hook, packet }, 'the packet'));
    const reply = await this.transport.classify(table, body, checked);
    if (reply.status < 0) {
      const detail =
        reply.data && reply.data.length > 0 ? `: ${new TextDecoder().decode(reply.data)}` : '';
      throw refused(`CLASSIFY in ${table}/${hook}${detail}`, reply.status);
    }
    return JSON.parse(new TextDecoder().decode(reply.data ?? new Uint8Array(0))) as ClassifyResult;
  }

  /**
   * Classifies many packets arriving at built-in chain `hook` of `table` in one request
   * (CLASSIFY_BATCH, a binary format): as many {@link Bpfilter.classify} calls in order,
   * counters included, without the LOG events. `options` carries what all packets share
   * (`time`, `localAddresses`).
   */
  async classifyBatch(
    table: string,
    hook: string,
    packets: readonly PacketDescription[],
    given: BatchOptions & RequestOptions = {},
  ): Promise<BatchResult[]> {
    const options = callOptions(given);
    let body: Uint8Array;
    try {
      body = encodeBatch(table, hook, packets, options);
    } catch (cause) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `bpfilter: classifyBatch: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const reply = await this.transport.classifyBatch(table, body, options);
    if (reply.status < 0) throw refused(`CLASSIFY_BATCH in ${table}/${hook}`, reply.status);
    try {
      return decodeBatchReply(reply.data ?? new Uint8Array(0));
    } catch (cause) {
      throw new UmdError(UmdErrorCode.PROTOCOL, `bpfilter: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * The tables in iptables-save format. Default: every table in use, newest first (what
   * `iptables-save` prints); `tables` picks some. Tables holding extensions bpfilter has no
   * text form for are printed by `iptables-legacy-save` itself (through the preload library,
   * against these tables), with its `# Generated by` lines; without that program installed,
   * such a table is an `UMD_INVALID_ARGUMENT` naming the extension.
   */
  async save(
    given: FormatSaveOptions & RequestOptions & { tables?: string[] } = {},
  ): Promise<string> {
    const options = callOptions(given);
    const names = options.tables ?? (await this.tableNames(options));
    const tables: Table[] = [];
    for (const name of names) tables.push(await this.listTable(name, options));
    if (printable(tables)) return formatSave(tables, options);
    const source: SaveSource | undefined = this.sockopt
      ? { sockopt: this.sockopt }
      : this.#socketPath !== undefined
        ? { socketPath: this.#socketPath }
        : undefined;
    // A custom transport has no socket iptables could use: the text printer's typed error.
    if (!source) return formatSave(tables, options);
    let why = 'the tables hold an extension bpfilter has no text form for';
    try {
      formatSave(tables, options);
    } catch (error) {
      if (error instanceof Error) why = error.message;
    }
    return iptablesSave(source, names, {
      counters: options.counters,
      why,
      signal: options.signal,
    });
  }

  /**
   * Loads iptables-save text (as `iptables-restore` does): each table section replaces that
   * table. Built-in chains the text does not declare keep their current policy. Counters in
   * the text are loaded only with `counters: true`. Returns the names of the tables replaced.
   */
  async restore(text: string, given: ReplaceOptions = {}): Promise<string[]> {
    const options = callOptions(given);
    const parsed = parseSave(text);
    const replaced: string[] = [];
    for (const table of parsed) {
      let chains = table.chains;
      if (table.declaredBuiltins.length < builtinChains(TABLE_HOOKS.get(table.name) ?? 0).length) {
        // Like iptables-restore: an undeclared built-in chain is flushed but keeps its policy.
        const current = await this.listTable(table.name, options);
        const builtins = current.chains
          .filter((c) => c.policy !== undefined)
          .map(
            (c) =>
              table.chains.find((p) => p.name === c.name) ?? {
                name: c.name,
                policy: c.policy,
                rules: [],
              },
          );
        chains = [
          ...builtins,
          ...table.chains.filter((c) => !builtins.some((b) => b.name === c.name)),
        ];
      }
      await this.replaceTable(
        table.name,
        { name: table.name, chains },
        { ...options, counters: options.counters ?? false },
      );
      replaced.push(table.name);
    }
    return replaced;
  }

  /** Stops the in-process handler (tables are kept for the next call) or closes the service connection. */
  async stop(): Promise<void> {
    await this.transport.close();
  }

  /** `await using bpfilter = new Bpfilter()`: {@link Bpfilter.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
