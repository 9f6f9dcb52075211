/** Reads the captured iptables-legacy exchanges in `test/vectors/` (see its README). */
import { readFileSync } from 'node:fs';

/** One captured sockopt call. */
export interface VectorCall {
  call: 'get' | 'set';
  opt: string;
  len: number;
  rc: number;
  errno: number | null;
  hex: string;
}

/** One scenario line: the iptables arguments and the calls it made. */
export interface VectorStep {
  iptables: string;
  calls: VectorCall[];
  save_after: string;
}

/** The steps of a `.jsonl` vector file in `test/vectors/`. */
export function loadVectors(file: string): VectorStep[] {
  const text = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VectorStep);
}

/** Option name -> number (get and set share 64/65). */
export const OPTION_NUMBERS: Record<string, number> = {
  IPT_SO_SET_REPLACE: 64,
  IPT_SO_SET_ADD_COUNTERS: 65,
  IPT_SO_GET_INFO: 64,
  IPT_SO_GET_ENTRIES: 65,
  IPT_SO_GET_REVISION_MATCH: 66,
  IPT_SO_GET_REVISION_TARGET: 67,
};

/**
 * The filter and mangle tables of `classify.json` (see capture-classify.mjs) as the kernel
 * returned them before any packet: GET_INFO's hook data and GET_ENTRIES' entries (libiptc's
 * bytes; counters zero), and what iptables-legacy-save printed for them.
 */
export function loadKernelTables(): {
  save: string;
  tables: { name: string; info: Uint8Array; entries: Uint8Array }[];
} {
  const capture = JSON.parse(readFileSync(new URL('./classify.json', import.meta.url), 'utf8')) as {
    save: string;
    tables: Record<string, { info: string; before: string }>;
  };
  const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
  return {
    save: capture.save,
    // GET_ENTRIES answers start with the 40-byte ipt_get_entries header.
    tables: Object.entries(capture.tables).map(([name, t]) => ({
      name,
      info: bytes(t.info),
      entries: bytes(t.before).subarray(40),
    })),
  };
}

/** A copy of an entry blob with every entry's `comefrom` zeroed. */
export function withoutComefrom(entries: Uint8Array): Uint8Array {
  const copy = entries.slice();
  const view = new DataView(copy.buffer);
  for (let offset = 0; offset < copy.length; offset += view.getUint16(offset + 90, true))
    view.setUint32(offset + 92, 0, true);
  return copy;
}
