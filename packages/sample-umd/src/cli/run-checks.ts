import { isUmdError } from '@umd/core';
import type { SampleManager } from '../manager.js';
import { ExitCode } from './args.js';
import type { InputLine } from './lines.js';
import { parseOffset } from './parse-offset.js';

/** Where results go: one line each. */
export type WriteLine = (line: string) => void;

/** One piece of input: a command-line argument, or a line read from stdin. */
export type OffsetInput = { source: string; text: string } | { source: string; tooLong: number };

/** Turns stdin lines into inputs; blank lines are skipped. */
export async function* linesToInputs(lines: AsyncIterable<InputLine>): AsyncGenerator<OffsetInput> {
  for await (const line of lines) {
    if (line.tooLong === true) yield { source: `line ${line.lineNumber}`, tooLong: line.length };
    else if (line.text.trim() !== '') yield { source: `line ${line.lineNumber}`, text: line.text };
  }
}

/**
 * Checks each input in order and writes one result a line: `ok <offset>`, `invalid <source>:
 * <why>` for input that is not an offset (it is never sent), or `failed <offset>: <code>:
 * <why>`. Returns the exit status: 2 if any input was invalid, else 1 if any check failed, else 0.
 */
export async function runChecks(
  driver: SampleManager,
  inputs: Iterable<OffsetInput> | AsyncIterable<OffsetInput>,
  write: WriteLine,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  let invalid = 0;
  let failed = 0;
  for await (const input of inputs) {
    if ('tooLong' in input) {
      invalid += 1;
      write(`invalid ${input.source}: line of ${input.tooLong} bytes is too long for an offset`);
      continue;
    }
    const parsed = parseOffset(input.text);
    if (!parsed.ok) {
      invalid += 1;
      write(`invalid ${input.source}: ${parsed.message}`);
      continue;
    }
    try {
      const result = await driver.check(parsed.offset, options);
      write(`ok ${result.offset}`);
    } catch (error) {
      failed += 1;
      const reason = isUmdError(error) ? `${error.code}: ${error.message}` : String(error);
      write(`failed ${parsed.offset}: ${reason}`);
    }
  }
  if (invalid > 0) return ExitCode.USAGE;
  return failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}
