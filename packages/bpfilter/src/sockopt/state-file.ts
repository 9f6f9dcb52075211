/**
 * The kept tables on disk (`--state FILE` of the CLI and of `bpfilter serve`): JSON, mode
 * 0600. A write is durable and atomic: a temporary file in the same directory is written and
 * fsynced, renamed over FILE, then the directory is fsynced, so a crash or power loss leaves
 * either the old state or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import type { BpfilterState } from './bpfilter-sockopt.js';

/**
 * The state in `file`, or `undefined` if there is no such file. Anything else that is not
 * a JSON object (an empty or truncated file, binary data) is an error: a firewall must not
 * start silently empty because its state was damaged. Whether the object really is a
 * bpfilter state is checked when it is loaded (`new BpfilterSockopt({ state })`).
 * @throws UmdError `UMD_INVALID_ARGUMENT` for a file that is not a JSON object.
 */
export async function readStateFile(file: string): Promise<BpfilterState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: cannot read state file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: state file ${file} is damaged (not JSON: ${(cause as Error).message})`,
      { cause },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `bpfilter: state file ${file} does not hold a bpfilter state`,
    );
  return parsed as BpfilterState;
}

/** Writes `state` to `file` durably and atomically (see the module comment). */
export async function writeStateFile(file: string, state: BpfilterState): Promise<void> {
  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
