/**
 * The cause of a failed start as the handler's stderr tells it: a Node handler that dies
 * before HELLO prints its error there, and a user reading `UMD_START_FAILED ... exited with
 * code 1` should not have to dig it out of `stderrTail`.
 */
import { untrustedText, withoutControlCharacters } from '@umd/core/untrusted';

// Node's report of an uncaught error: `Error: ...`, `TypeError: ...`, `Error [ERR_X]: ...`.
const ERROR_LINE = /^(?:[A-Z]\w*)?Error(?: \[[A-Z0-9_]+\])?: \S.*$/;
const MAX_LENGTH = 300;

/** What to do about the errors a new user meets first, by what the error line says. */
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [
    /ERR_MODULE_NOT_FOUND|Cannot find (?:module|package)/,
    'a blob runs alone from a private copy: bundle the handler and everything it imports into one file with buildBlob (or umd-blob) of @umd/build',
  ],
  [
    /ERR_ACCESS_DENIED/,
    "Node's permission model refused it: a JS handler may read its blob only (see the manager's sandbox option)",
  ],
];

/**
 * The first error line of a Node handler's stderr, with a hint where one is known, or
 * `undefined` when the stderr holds no such line (a native handler, a handler that said
 * why in its own words: that stays in `stderrTail`).
 */
export function stderrCause(stderrTail: readonly string[]): string | undefined {
  // The handler is less trusted than the host: its words go into the host's logs through the
  // message, so no terminal escape or other control character passes. Cleaned before the
  // match (a control character must not hide an error line), cut after it.
  const line = stderrTail.map(withoutControlCharacters).find((text) => ERROR_LINE.test(text));
  if (line === undefined) return undefined;
  const cause = untrustedText(line, MAX_LENGTH);
  const hint = HINTS.find(([pattern]) => pattern.test(line))?.[1];
  return hint === undefined ? cause : `${cause} (${hint})`;
}
