/**
 * Reads the counters of an enforced nft table. The package's small netlink helper
 * (native/bpfilter_nft_counters.c) dumps just the counters, where a listing makes nft
 * fetch, decode and print the whole table; without the helper (no C compiler at build
 * time), `nft -j list table` is parsed instead.
 */
import type { XtCounters } from '../abi/index.js';
import { type CounterReading, ZERO_COUNTERS } from './counters.js';
import { EnforcementError } from './errors.js';
import { HelperProcess } from './helper-process.js';
import { type NftListing, type NftRunner, failureOf } from './nft-runner.js';

/** The helper's exit status when the table or a map does not exist. */
const EXIT_MISSING = 3;

/** Reads counters through the helper at `helper`, or through nft when it is undefined. */
export class CounterReader {
  readonly #helper: HelperProcess | undefined;
  readonly #nft: NftRunner;

  constructor(nft: NftRunner, helper: string | undefined) {
    this.#nft = nft;
    this.#helper = helper === undefined ? undefined : new HelperProcess(helper);
  }

  /** Stops the helper process, if one runs. */
  close(): void {
    this.#helper?.close();
  }

  /** The counters of nft table `table` and its verdict maps `maps`; undefined if it is gone. */
  async read(
    table: string,
    maps: readonly string[],
    signal?: AbortSignal,
  ): Promise<CounterReading | undefined> {
    if (this.#helper === undefined) {
      const listing = await this.#nft.listTable(table, signal);
      return listing && readingFromListing(listing);
    }
    const names = [table, ...maps].map((name) => `${name}\u0000`).join('');
    const out = await this.#helper.request(Buffer.from(names), signal);
    if (out.code === EXIT_MISSING) return undefined;
    if (out.code !== 0)
      throw new EnforcementError(
        'kernel-refused',
        `bpfilter enforcement: cannot read the counters of nft table ${table}: ${failureOf(out.output, out.code)}`,
        { nftMessage: out.output },
      );
    return readingFromHelper(out.output);
  }
}

/**
 * Hex names and comments already decoded: the same chain and map names, and the same element
 * comments (`rule N`), recur in every read of a table. Bounded: a service
 * reading many different tables starts it again.
 */
const decoded = new Map<string, string>();
const MAX_DECODED = 1 << 16;

/**
 * The reading of the helper's output: `c CHAIN` starts a chain, each `r P B` after it is one of
 * its rules in order, `e MAP COMMENT P B` is an element (names hex; the helper leaves out the
 * elements that counted nothing, which read as zero). A line of another form is skipped.
 */
export function readingFromHelper(text: string): CounterReading {
  const reading: CounterReading = { rules: new Map(), elements: new Map() };
  let rules: XtCounters[] | undefined; // the chain's of the last `c` line
  let map = '';
  let elements = new Map<string, XtCounters>();
  // Scanned in place (a split into lines and words made two arrays and five strings a line).
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const kind = text[at];
    const a = text.indexOf(' ', at) + 1;
    const b = a > 0 && a < end ? text.indexOf(' ', a) + 1 : 0;
    const c = b > 0 && b < end ? text.indexOf(' ', b) + 1 : 0;
    const d = c > 0 && c < end ? text.indexOf(' ', c) + 1 : 0;
    const e = d > 0 && d < end ? text.indexOf(' ', d) + 1 : 0;
    // a, b, c, d: where the 2nd to 5th words start (0: no such word); the kind is one letter.
    if (kind === 'r' && a === at + 2 && b > 0 && b < end && (c === 0 || c > end)) {
      if (rules !== undefined)
        rules.push(uncounted(text, a, b, end) ? ZERO_COUNTERS : countersIn(text, a, b, end));
    } else if (kind === 'c' && a === at + 2 && (b === 0 || b > end)) {
      const name = unhex(text.slice(a, end));
      rules = reading.rules.get(name) ?? [];
      reading.rules.set(name, rules);
    } else if (kind === 'e' && a === at + 2 && d > 0 && d < end && (e === 0 || e > end)) {
      const name = text.slice(a, b - 1);
      if (name !== map) {
        map = name;
        const decodedName = unhex(name);
        elements = reading.elements.get(decodedName) ?? new Map<string, XtCounters>();
        reading.elements.set(decodedName, elements);
      }
      elements.set(unhex(text.slice(b, c - 1)), countersIn(text, c, d, end));
    }
    at = end + 1;
  }
  return reading;
}

function unhex(text: string): string {
  if (text === '-') return '';
  let value = decoded.get(text);
  if (value === undefined) {
    value = Buffer.from(text, 'hex').toString('utf8');
    if (decoded.size >= MAX_DECODED) decoded.clear();
    decoded.set(text, value);
  }
  return value;
}

/**
 * Whether a line's counters (packets from `p`, bytes from `b` to `end`) are `0 0` or `- ...`
 * (no counter), read in place: most rules of a large table never match.
 */
function uncounted(text: string, p: number, b: number, end: number): boolean {
  if (b !== p + 2) return false;
  const packets = text.charCodeAt(p);
  return packets === DASH || (packets === ZERO && end === b + 1 && text.charCodeAt(b) === ZERO);
}

const ZERO = 0x30;
const DASH = 0x2d;

/** The counters of a line: packets from `p`, bytes from `b` to `end` (one shared zero). */
function countersIn(text: string, p: number, b: number, end: number): XtCounters {
  const packets = text.slice(p, b - 1);
  const bytes = text.slice(b, end);
  if (packets === '-' || (packets === '0' && bytes === '0')) return ZERO_COUNTERS;
  return { packets: u64(packets), bytes: u64(bytes) };
}

/** A decimal u64; below 2^53 through a Number, which is much cheaper than BigInt(string). */
function u64(text: string): bigint {
  return text.length < 16 ? BigInt(Number(text)) : BigInt(text);
}

/** The reading of an `nft -j list table` listing. */
export function readingFromListing(listing: NftListing): CounterReading {
  const reading: CounterReading = { rules: new Map(), elements: new Map() };
  for (const item of listing.nftables) {
    if (item.rule) {
      const counter = item.rule.expr.find((e) => 'counter' in e)?.counter;
      const list = reading.rules.get(item.rule.chain) ?? [];
      list.push(listed(counter));
      reading.rules.set(item.rule.chain, list);
    }
    const set = item.map ?? item.set;
    if (set) {
      const elements = new Map<string, XtCounters>();
      for (const member of set.elem ?? []) {
        // A map's element is [key, data]; a set's is the key alone.
        const key = item.map ? (member as [unknown])[0] : member;
        const elem = (key as { elem?: { comment?: string; counter?: unknown } }).elem;
        if (elem?.comment !== undefined) elements.set(elem.comment, listed(elem.counter));
      }
      reading.elements.set(set.name, elements);
    }
  }
  return reading;
}

function listed(counter: unknown): XtCounters {
  const c = counter as { packets?: number; bytes?: number } | undefined;
  return { packets: BigInt(c?.packets ?? 0), bytes: BigInt(c?.bytes ?? 0) };
}
