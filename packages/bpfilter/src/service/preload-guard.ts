/**
 * Refuses, before it runs, a command the dynamic loader would start without the preload
 * library: such a program would change the kernel's tables instead of bpfilter's, silently.
 * The loader drops LD_PRELOAD for set-user-ID/set-group-ID programs, never loads it into a
 * statically linked one, and skips (with only a warning on stderr) a library of another ELF
 * class or machine. Scripts are followed to their interpreter, as exec(2) does. Programs the
 * command starts in turn cannot be known in advance and are not checked.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import { describeMachine, type ExecutableKind, readExecutableKind } from './elf.js';

// Linux follows at most this many `#!` interpreters (plus the final binary).
const MAX_INTERPRETERS = 4;

// Mode bits of set-user-ID and set-group-ID (POSIX; fs.constants lacks them in Node 20's types).
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/**
 * @throws UmdError `UMD_INVALID_ARGUMENT` naming why the preload would not reach the command;
 * `UMD_START_FAILED` if `library` is not an ELF shared object at all.
 */
export function refuseCommandWithoutPreload(
  command: string,
  env: NodeJS.ProcessEnv,
  library: string,
): void {
  const searchPath = env.PATH ?? '';
  let path = resolveCommand(command, searchPath);
  if (path === undefined) return; // spawn reports a missing command
  const preload = readExecutableKind(library);
  if (preload.kind !== 'elf') {
    throw new UmdError(
      UmdErrorCode.START_FAILED,
      `bpfilter exec: the preload library ${library} is not an ELF file`,
    );
  }
  for (let depth = 0; depth <= MAX_INTERPRETERS; depth++) {
    refuseSetId(path);
    const kind = readExecutableKind(path);
    if (kind.kind === 'other') return; // exec(2) decides; nothing the loader would skip
    if (kind.kind === 'elf') return refuseElf(path, kind, preload, library);
    const next = interpreterOf(kind, searchPath);
    if (next === undefined) return;
    path = next;
  }
}

function refuseSetId(path: string): void {
  if (statSync(path).mode & (S_ISUID | S_ISGID)) {
    bypass(path, 'is set-user-ID or set-group-ID; the dynamic loader would ignore the preload');
  }
}

function refuseElf(
  path: string,
  program: Extract<ExecutableKind, { kind: 'elf' }>,
  preload: Extract<ExecutableKind, { kind: 'elf' }>,
  library: string,
): void {
  if (!program.dynamic) {
    bypass(path, 'is statically linked; the dynamic loader, which loads the preload, never runs');
  }
  if (program.machine !== preload.machine || program.bits !== preload.bits) {
    bypass(
      path,
      `is a ${describeMachine(program.machine, program.bits)} program but the preload ` +
        `library ${library} is built for ${describeMachine(preload.machine, preload.bits)}; ` +
        'the dynamic loader would skip it',
    );
  }
}

function bypass(path: string, why: string): never {
  throw new UmdError(
    UmdErrorCode.INVALID_ARGUMENT,
    `bpfilter exec: ${path} ${why}, and the program would reach the kernel's tables. Run a dynamically linked program of this machine's architecture, as the user it should run as.`,
  );
}

/** The program a `#!` line runs: its interpreter, or the command `/usr/bin/env` would run. */
function interpreterOf(
  script: Extract<ExecutableKind, { kind: 'script' }>,
  searchPath: string,
): string | undefined {
  if (!isAbsolute(script.interpreter)) return undefined; // exec(2) refuses it
  if (basename(script.interpreter) !== 'env') return script.interpreter;
  const command = envCommand(script.args);
  return command === undefined ? script.interpreter : resolveCommand(command, searchPath);
}

/** The command of env's arguments: past its options (`-S`, `-u NAME`, ...) and assignments. */
function envCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (/^-[uC]$|^--(unset|chdir)$/.test(arg)) i++;
    else if (!arg.startsWith('-') && !arg.includes('=')) return arg;
  }
  return undefined;
}

/** Where `command` is found, as spawn would look it up in `searchPath`. */
export function resolveCommand(command: string, searchPath: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : searchPath
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}
