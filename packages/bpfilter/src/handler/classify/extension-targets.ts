/**
 * Targets that reach the handler as raw extension bytes and that classification can
 * follow: a verdict, or a change to the packet after which the walk continues (the kernel's
 * XT_CONTINUE). `undefined`: not evaluated (CANNOT_EVALUATE).
 */
import type { Packet } from './packet.js';

/** A compiled target. */
export type CompiledTarget =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' }
  | { kind: 'continue'; effect: (packet: Packet) => void };

type Compiler = (data: Uint8Array, revision: number) => CompiledTarget | undefined;

const COMPILERS: ReadonlyMap<string, Compiler> = new Map<string, Compiler>();

/** The compiled target, or `undefined` when bpfilter cannot evaluate it. */
export function compileTarget(
  name: string,
  revision: number,
  data: Uint8Array,
): CompiledTarget | undefined {
  return COMPILERS.get(name)?.(data, revision);
}
