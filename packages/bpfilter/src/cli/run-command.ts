/**
 * The table commands of the `bpfilter` CLI (list, save, restore, classify), on a
 * {@link Bpfilter} that reaches either a running service or an in-process handler.
 */
import { readFile } from 'node:fs/promises';
import { type CommandLineOptions, parseCommandLine, UsageError } from '@umd/core/cli';
import { UmdError, UmdErrorCode } from '@umd/core';
import { Bpfilter } from '../api/bpfilter.js';
import { sockoptTransport } from '../api/transport.js';
import { BPFILTER_SOCKET_ENV } from '../service/protocol.js';
import { BpfilterSockopt } from '../sockopt/index.js';
import type { PacketDescription } from '../api/classify-types.js';
import { type ClassifyArgs, hookFromArgs, packetFromArgs } from './classify-args.js';
import { formatBatch, formatClassification } from './format-classify.js';
import { formatList, toJson } from './format-list.js';
import { readStateFile, writeStateFile } from '../sockopt/state-file.js';

/** The table commands. */
export const TABLE_COMMANDS = ['list', 'save', 'restore', 'classify'] as const;
/** One of {@link TABLE_COMMANDS}. */
export type TableCommand = (typeof TABLE_COMMANDS)[number];

/** Where output goes (tests pass their own). */
export interface CommandIo {
  stdout: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const COMMON = {
  socket: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const OPTIONS = {
  list: { ...COMMON, table: { type: 'string', short: 't' } },
  save: {
    ...COMMON,
    table: { type: 'string', short: 't' },
    counters: { type: 'boolean', short: 'c' },
  },
  restore: { ...COMMON, counters: { type: 'boolean', short: 'c' }, file: { type: 'string' } },
  classify: {
    ...COMMON,
    table: { type: 'string', short: 't' },
    hook: { type: 'string' },
    src: { type: 'string', short: 's' },
    dst: { type: 'string', short: 'd' },
    proto: { type: 'string', short: 'p' },
    sport: { type: 'string' },
    dport: { type: 'string' },
    in: { type: 'string', short: 'i' },
    out: { type: 'string', short: 'o' },
    'tcp-flags': { type: 'string' },
    'icmp-type': { type: 'string' },
    fragment: { type: 'boolean', short: 'f' },
    length: { type: 'string' },
    'if-addr': { type: 'string', multiple: true },
    batch: { type: 'string' },
  },
} as const;

/**
 * Runs a table command with `argv` (the arguments after its name). Resolves when done;
 * throws a `UsageError` (a `UmdError` with `UMD_INVALID_ARGUMENT`) naming the flag at fault
 * for bad arguments, another `UmdError` when the command fails.
 */
export async function runTableCommand(
  command: TableCommand,
  argv: string[],
  io: CommandIo,
): Promise<void> {
  const options: CommandLineOptions = OPTIONS[command];
  const values = parseCommandLine(argv, options, { allowPositionals: false }).values as Record<
    string,
    string | boolean | undefined
  >;
  const socket =
    (values.socket as string | undefined) ?? (io.env[BPFILTER_SOCKET_ENV] || undefined);
  const stateFile = values.state as string | undefined;
  if (socket !== undefined && stateFile !== undefined)
    throw new UsageError('--socket and --state exclude each other: a service keeps its own tables');

  const input =
    command === 'restore'
      ? await readInput(values.file as string | undefined, io)
      : command === 'classify' && values.batch !== undefined
        ? await readInput(values.batch === '-' ? undefined : (values.batch as string), io)
        : undefined;
  let bpfilter: Bpfilter;
  let sockopt: BpfilterSockopt | undefined;
  if (socket !== undefined) {
    bpfilter = await Bpfilter.connect(socket);
  } else {
    const state = stateFile !== undefined ? await readStateFile(stateFile) : undefined;
    sockopt = new BpfilterSockopt(state ? { state } : {});
    bpfilter = new Bpfilter({ transport: sockoptTransport(sockopt) });
  }
  try {
    await execute(command, values, bpfilter, io, input);
    if (sockopt && stateFile !== undefined)
      await writeStateFile(stateFile, sockopt.exportState()).catch((cause: unknown) => {
        throw new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `bpfilter: cannot write state file ${stateFile}: ${(cause as Error).message}`,
          { cause },
        );
      });
  } finally {
    await bpfilter.stop();
  }
}

async function execute(
  command: TableCommand,
  values: Record<string, string | boolean | undefined>,
  bpfilter: Bpfilter,
  io: CommandIo,
  input: string | undefined,
): Promise<void> {
  const table = (values.table as string | undefined) ?? 'filter';
  switch (command) {
    case 'list': {
      const listed = await bpfilter.listTable(table);
      io.stdout(values.json ? `${toJson(listed)}\n` : formatList(listed));
      return;
    }
    case 'save':
      io.stdout(
        await bpfilter.save({
          counters: values.counters === true,
          ...(values.table !== undefined ? { tables: [table] } : {}),
        }),
      );
      return;
    case 'restore': {
      const tables = await bpfilter.restore(input ?? '', { counters: values.counters === true });
      if (values.json) io.stdout(`${JSON.stringify({ restored: tables })}\n`);
      return;
    }
    case 'classify': {
      const hook = hookFromArgs(values as ClassifyArgs);
      if (values.batch !== undefined) {
        const results = await bpfilter.classifyBatch(table, hook, packetsFromLines(input ?? ''));
        io.stdout(
          values.json
            ? `${JSON.stringify(results)}
`
            : formatBatch(results),
        );
        return;
      }
      const packet = packetFromArgs(values as ClassifyArgs);
      const result = await bpfilter.classify(table, hook, packet);
      io.stdout(
        values.json ? `${JSON.stringify(result, null, 2)}\n` : formatClassification(table, result),
      );
      return;
    }
  }
}

/** `--batch` input: one JSON packet description per line (blank lines skipped). */
function packetsFromLines(text: string): PacketDescription[] {
  const packets: PacketDescription[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    try {
      packets.push(JSON.parse(line) as PacketDescription);
    } catch (cause) {
      throw new UsageError(
        `classify --batch: line ${n + 1} is not JSON: ${(cause as Error).message}`,
        { cause },
      );
    }
  });
  return packets;
}

async function readInput(file: string | undefined, io: CommandIo): Promise<string> {
  if (file === undefined) return io.readStdin();
  return readFile(file, 'utf8').catch((cause: unknown) => {
    throw new UsageError(`--file: cannot read ${file}: ${(cause as Error).message}`, { cause });
  });
}
