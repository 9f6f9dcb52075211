/** Runs a Node script in a network namespace of its own (`unshare -n`), for its stdout. */
import { execFile } from 'node:child_process';

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
