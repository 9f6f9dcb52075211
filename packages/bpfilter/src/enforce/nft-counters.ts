/**
 * Reads the counters of an enforced nft table. The package's small netlink helper
 * (native/bpfilter_nft_counters.c) dumps just the counters, where a listing makes nft
 * fetch, decode and print the whole table; without the helper (no C compiler at build
 * time), `nft -j list table` is parsed instead.
 */
import type { XtCounters } from '../abi/index.js';
import type { CounterReading } from './counters.js';
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

const ZERO: XtCounters = { packets: 0n, bytes: 0n };

/** The reading of the helper's output (`r CHAIN P B` and `e MAP COMMENT P B` lines, names hex). */
export function readingFromHelper(text: string): CounterReading {
  const reading: CounterReading = { rules: new Map(), elements: new Map() };
  // Chain and map names repeat on every line: decoded once each.
  const names = new Map<string, string>();
  const name = (hex: string) => {
    let decoded = names.get(hex);
    if (decoded === undefined) {
      decoded = unhex(hex);
      names.set(hex, decoded);
    }
    return decoded;
  };
  for (const line of text.split('\n')) {
    const words = line.split(' ');
    if (words[0] === 'r' && words.length === 4) {
      const chain = name(words[1]!);
      const list = reading.rules.get(chain) ?? [];
      list.push(countersIn(words[2]!, words[3]!));
      reading.rules.set(chain, list);
    } else if (words[0] === 'e' && words.length === 5) {
      const map = name(words[1]!);
      const elements = reading.elements.get(map) ?? new Map<string, XtCounters>();
      elements.set(unhex(words[2]!), countersIn(words[3]!, words[4]!));
      reading.elements.set(map, elements);
    }
  }
  return reading;
}

function unhex(text: string): string {
  return text === '-' ? '' : Buffer.from(text, 'hex').toString('utf8');
}

function countersIn(packets: string, bytes: string): XtCounters {
  return packets === '-' ? ZERO : { packets: u64(packets), bytes: u64(bytes) };
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
    if (item.map) {
      const elements = new Map<string, XtCounters>();
      for (const [key] of item.map.elem ?? []) {
        const elem = (key as { elem?: { comment?: string; counter?: unknown } }).elem;
        if (elem?.comment !== undefined) elements.set(elem.comment, listed(elem.counter));
      }
      reading.elements.set(item.map.name, elements);
    }
  }
  return reading;
}

function listed(counter: unknown): XtCounters {
  const c = counter as { packets?: number; bytes?: number } | undefined;
  return { packets: BigInt(c?.packets ?? 0), bytes: BigInt(c?.bytes ?? 0) };
}
