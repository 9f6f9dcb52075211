/**
 * The few facts of an executable that decide whether the dynamic loader will load a preload
 * library into it: its ELF class and machine, and whether it has a program interpreter at all.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** What a file starts with, as far as exec(2) and the dynamic loader care. */
export type ExecutableKind =
  | {
      kind: 'elf';
      /** 32 or 64 (EI_CLASS). */
      bits: 32 | 64;
      /** `e_machine`: 62 for x86-64, 183 for AArch64, ... */
      machine: number;
      /** Whether it names a program interpreter (PT_INTERP): only then is LD_PRELOAD honoured. */
      dynamic: boolean;
    }
  | {
      kind: 'script';
      interpreter: string;
      /** The rest of the `#!` line, split at blanks (Linux passes it as one argument). */
      args: string[];
    }
  | { kind: 'other' };

const PT_INTERP = 3;
// Linux reads at most this much of a `#!` line (BINPRM_BUF_SIZE); it also holds an ELF header.
const HEAD_BYTES = 256;
// Program headers past this are not a program any loader would run.
const HEADERS_MAX = 1 << 20;

/** Names of the `e_machine` values a Linux machine is likely to meet, for messages. */
const MACHINE_NAMES: Readonly<Record<number, string>> = {
  3: 'x86',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC 64',
  22: 's390',
  40: 'ARM',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

/** `e_machine` of Node's `process.arch` values, where Linux runs. */
const ARCH_MACHINES: Readonly<Record<string, number>> = {
  ia32: 3,
  x64: 62,
  arm: 40,
  arm64: 183,
  ppc64: 21,
  s390x: 22,
  riscv64: 243,
  loong64: 258,
  mips: 8,
  mipsel: 8,
};

/** The `e_machine` of this process's architecture, or undefined if unknown. */
export function hostMachine(): number | undefined {
  return ARCH_MACHINES[process.arch];
}

/** A readable name for an `e_machine` value and class. */
export function describeMachine(machine: number, bits: 32 | 64): string {
  return `${MACHINE_NAMES[machine] ?? `machine ${machine}`} (${bits}-bit)`;
}

/**
 * Reads what the file at `path` is. Opened without blocking (a FIFO must not hang the caller)
 * and only if it is a regular file; anything unreadable or malformed is `other`.
 */
export function readExecutableKind(path: string): ExecutableKind {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return { kind: 'other' };
  }
  try {
    if (!fstatSync(fd).isFile()) return { kind: 'other' };
    const head = readAt(fd, 0, HEAD_BYTES);
    if (head[0] === 0x23 && head[1] === 0x21) return parseShebang(head);
    return parseElf(fd, head);
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

function parseShebang(head: Buffer): ExecutableKind {
  const end = head.indexOf(0x0a);
  const line = head.subarray(2, end < 0 ? head.length : end).toString('latin1');
  const [interpreter, ...args] = line.trim().split(/[ \t]+/);
  return interpreter ? { kind: 'script', interpreter, args } : { kind: 'other' };
}

function parseElf(fd: number, head: Buffer): ExecutableKind {
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return { kind: 'other' };
  const bits = head[4] === 1 ? 32 : head[4] === 2 ? 64 : undefined;
  const little = head[5] === 1 ? true : head[5] === 2 ? false : undefined;
  if (bits === undefined || little === undefined) return { kind: 'other' };
  const u16 = (b: Buffer, at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const machine = u16(head, 18);
  let phoff: number;
  let phentsize: number;
  let phnum: number;
  if (bits === 64) {
    if (head.length < 64) return { kind: 'other' };
    const wide = little ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32);
    phoff = wide > BigInt(HEADERS_MAX) ? -1 : Number(wide);
    phentsize = u16(head, 54);
    phnum = u16(head, 56);
  } else {
    phoff = u32(head, 28);
    phentsize = u16(head, 42);
    phnum = u16(head, 44);
  }
  const size = phentsize * phnum;
  if (phoff < 0 || phentsize < 4 || size > HEADERS_MAX) return { kind: 'other' };
  const headers = readAt(fd, phoff, size);
  if (headers.length < size) return { kind: 'other' };
  let dynamic = false;
  for (let at = 0; at < size; at += phentsize) {
    if (u32(headers, at) === PT_INTERP) dynamic = true;
  }
  return { kind: 'elf', bits, machine, dynamic };
}
