/**
 * Targets that reach the handler as raw extension bytes and that classification can
 * follow: a verdict, or a change to the packet after which the walk goes on to the next
 * rule (the kernel's XT_CONTINUE), or a nat translation. `undefined`: not evaluated
 * (CANNOT_EVALUATE).
 */
import { compileNatTarget, type NatEvaluator } from './nat-targets.js';
import type { Packet } from './packet.js';

/** A compiled target. */
export type CompiledTarget =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' }
  | { kind: 'continue'; effect: (packet: Packet) => void }
  /** A nat target: ACCEPT, and the translation the connection gets. */
  | { kind: 'nat'; nat: NatEvaluator };

type Compiler = (data: Uint8Array, revision: number) => CompiledTarget | undefined;

const view = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);
/** No conntrack entry: CONNMARK has nothing to read or write. */
const NO_ENTRY = 0x01 | 0x40;

/** `struct xt_mark_tginfo2` (mark, mask): `mark = (mark & ~mask) ^ value`. */
function mark(data: Uint8Array, revision: number): CompiledTarget | undefined {
  if (revision !== 2 || data.length < 8) return undefined;
  const v = view(data);
  const value = v.getUint32(0, true);
  const mask = v.getUint32(4, true);
  return {
    kind: 'continue',
    effect: (p) => {
      p.mark = ((p.mark & ~mask) ^ value) >>> 0;
    },
  };
}

/**
 * `struct xt_connmark_tginfo1` (ctmark, ctmask, nfmask, mode) or `tginfo2` (the same, then
 * shift_dir, shift_bits, mode). Modes: SET 0, SAVE 1, RESTORE 2. Shifts are not evaluated.
 */
function connmark(data: Uint8Array, revision: number): CompiledTarget | undefined {
  if ((revision !== 1 && revision !== 2) || data.length < (revision === 1 ? 13 : 15))
    return undefined;
  const v = view(data);
  const ctmark = v.getUint32(0, true);
  const ctmask = v.getUint32(4, true);
  const nfmask = v.getUint32(8, true);
  if (revision === 2 && data[13] !== 0) return undefined;
  const mode = data[revision === 1 ? 12 : 14];
  const apply: Record<number, (p: Packet) => void> = {
    0: (p) => {
      p.connmark = ((p.connmark & ~ctmask) ^ ctmark) >>> 0;
    },
    1: (p) => {
      p.connmark = ((p.connmark & ~ctmask) ^ (p.mark & nfmask)) >>> 0;
    },
    2: (p) => {
      p.mark = ((p.mark & ~nfmask) ^ (p.connmark & ctmask)) >>> 0;
    },
  };
  const change = mode === undefined ? undefined : apply[mode];
  if (change === undefined) return undefined;
  return {
    kind: 'continue',
    effect: (p) => {
      if ((p.ctState & NO_ENTRY) === 0) change(p);
    },
  };
}

const COMPILERS: ReadonlyMap<string, Compiler> = new Map<string, Compiler>([
  ['MARK', mark],
  ['CONNMARK', connmark],
]);

/** The compiled target, or `undefined` when bpfilter cannot evaluate it. */
export function compileTarget(
  name: string,
  revision: number,
  data: Uint8Array,
): CompiledTarget | undefined {
  const compiler = COMPILERS.get(name);
  if (compiler !== undefined) return compiler(data, revision);
  const nat = compileNatTarget(name, revision, data);
  return nat === undefined ? undefined : { kind: 'nat', nat };
}

/** Names of the targets bpfilter evaluates from raw bytes (besides the standard ones, REJECT and LOG). */
export const EVALUATED_TARGETS: readonly string[] = [
  ...COMPILERS.keys(),
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'REDIRECT',
  'NETMAP',
];
