/**
 * A rule's interface tests (`-i`, `-o`), as the kernel's `ifname_compare`: a closure for the
 * walk, the one exact name for the lookup, and words for the generated scan.
 */
import { interfaceMaskFor } from '../../abi/index.js';
import { type InterfaceWords, interfaceWords } from './ip-scan.js';

/** A rule's interface test, and the one name it accepts when it accepts only one. */
export interface InterfaceTest {
  test: ((packetName: string) => boolean) | null;
  exact: string | null;
}

/** `ifname_compare` as a closure: does the packet's interface name match (xor inversion)? */
export function interfaceTest(
  name: string | undefined,
  explicitMask: Uint8Array | undefined,
  inverted: boolean,
): InterfaceTest {
  if (name === undefined && explicitMask === undefined) return { test: null, exact: null };
  const want = name ?? '';
  const mask = explicitMask ?? interfaceMaskFor(want);
  const covered = mask.findLastIndex((b) => b !== 0) + 1;
  const full = mask.subarray(0, covered).every((b) => b === 0xff);
  if (covered === 0) return { test: () => !inverted, exact: null };
  const stem = want.endsWith('+') ? want.slice(0, -1) : want;
  // "eth0": the whole name and its NUL.
  if (full && stem === want && covered === want.length + 1)
    return { test: (n) => (n === want) !== inverted, exact: inverted ? null : want };
  if (full && covered === stem.length)
    return { test: (n) => n.startsWith(stem) !== inverted, exact: null }; // "eth+"
  const test = (packetName: string) => {
    let differs = false;
    for (let i = 0; i < 16; i++) {
      const a = i < want.length ? want.charCodeAt(i) : 0;
      const b = i < packetName.length ? packetName.charCodeAt(i) : 0;
      if ((a ^ b) & (mask[i] ?? 0)) differs = true;
    }
    return differs === inverted;
  };
  return { test, exact: null };
}

/** A rule's interface test as words for the generated scan, or null when it has none. */
export function interfaceWordsOf(
  name: string | undefined,
  explicitMask: Uint8Array | undefined,
  inverted: boolean,
): InterfaceWords | null {
  if (name === undefined && explicitMask === undefined) return null;
  return interfaceWords(name ?? '', explicitMask ?? interfaceMaskFor(name ?? ''), inverted);
}
