import { REPLY_SIZE } from '../contract.js';

/** The longest input accepted as one offset, in characters (after trimming blanks). */
export const MAX_OFFSET_TEXT = 32;

/** Why a piece of input is not an offset. */
export type OffsetInputProblem =
  | 'empty'
  | 'too-long'
  | 'not-a-number'
  | 'negative'
  | 'out-of-range';

/** Result of {@link parseOffset}: an offset the handler may see, or what is wrong and why. */
export type ParsedOffset =
  | { ok: true; offset: number }
  | { ok: false; problem: OffsetInputProblem; message: string };

const DECIMAL = /^\d+$/;
const HEX = /^0x[0-9a-f]+$/i;

/**
 * Parses one offset as a user typed it: decimal, or hexadecimal with `0x`, surrounded by
 * blanks at most. Anything else (signs aside from a leading minus, fractions, exponents,
 * trailing text) is refused, so that nothing but a valid offset ever reaches the handler.
 */
export function parseOffset(input: string): ParsedOffset {
  const text = input.trim();
  if (text.length === 0) return refuse('empty', 'empty input: expected an offset');
  if (text.length > MAX_OFFSET_TEXT) {
    return refuse(
      'too-long',
      `input of ${text.length} characters is too long for an offset (at most ${MAX_OFFSET_TEXT})`,
    );
  }
  const shown = JSON.stringify(text);
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  if (!DECIMAL.test(digits) && !HEX.test(digits))
    return refuse('not-a-number', `${shown} is not a number`);
  if (negative) return refuse('negative', `${shown} is negative: offsets start at 0`);
  // Number() parses both forms exactly; above 2^53 the value is imprecise but already too large.
  const offset = Number(digits);
  if (offset >= REPLY_SIZE) {
    return refuse(
      'out-of-range',
      `${shown} is too large: offsets go from 0 to ${REPLY_SIZE - 1} (EINVAL)`,
    );
  }
  return { ok: true, offset };
}

function refuse(problem: OffsetInputProblem, message: string): ParsedOffset {
  return { ok: false, problem, message };
}
