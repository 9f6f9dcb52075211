/** Runs a Node script in a network namespace of its own (`unshare -n`), for its stdout. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function nodeInNetns(script: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'unshare',
      ['-n', process.execPath, script, ...args],
      { timeout, maxBuffer: 64 << 20 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    ),
  );
}

/**
 * Runs a Node script as {@link nodeInNetns} does, its one argument a file holding `input` as
 * JSON, for the JSON it prints.
 */
export async function jsonInNetns<T>(script: string, input: unknown, timeout: number): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-netns-script-'));
  try {
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(input));
    return JSON.parse(await nodeInNetns(script, [file], timeout)) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
