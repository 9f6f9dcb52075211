/**
 * Matches that reach the handler as raw extension bytes, compiled by name and revision from
 * the kernel's structures. `undefined`: bpfilter does not evaluate this one (or these data):
 * the classification stops there with CANNOT_EVALUATE.
 */
import { MATCH, type MatchFn } from './match-result.js';

type Compiler = (data: Uint8Array, revision: number) => MatchFn | undefined;

const COMPILERS: ReadonlyMap<string, Compiler> = new Map<string, Compiler>([
  // xt_comment: only text for the reader.
  ['comment', () => () => MATCH],
]);

/** The compiled match, or `undefined` when bpfilter cannot evaluate it. */
export function compileExtensionMatch(
  name: string,
  revision: number,
  data: Uint8Array,
): MatchFn | undefined {
  return COMPILERS.get(name)?.(data, revision);
}
