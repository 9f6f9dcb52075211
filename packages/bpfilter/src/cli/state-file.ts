/**
 * `--state FILE` for one-shot CLI use without a service: the committed tables are read from
 * FILE before the command and written back after it (JSON, mode 0600, replaced atomically).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { UmdError, UmdErrorCode } from '@umd/core';
import type { BpfilterState } from '../sockopt/index.js';

/** The state in `file`, or `undefined` if it does not exist yet. */
export async function readStateFile(file: string): Promise<BpfilterState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as BpfilterState;
  } catch (cause) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `bpfilter: state file ${file} is not JSON`, {
      cause,
    });
  }
}

/** Writes `state` to `file` atomically (temporary file, then rename). */
export async function writeStateFile(file: string, state: BpfilterState): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}
