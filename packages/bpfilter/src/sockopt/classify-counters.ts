/**
 * The counter updates a classification reply carries, as entry indices and new totals, so
 * the front end can keep them without reading the table back: CLASSIFY's JSON names rules
 * by position (mapped to entries through the kept table's layout), CLASSIFY_BATCH's binary
 * reply lists entries directly.
 */
import { BATCH_COUNTER_SIZE, BATCH_REPLY_MAGIC } from '../abi/classify-batch.js';
import { viewOf } from '../abi/index.js';
import { decodeTable, entryLayout, type ChainEntries } from '../model/index.js';
import type { CounterUpdate, TableSnapshot } from './table-snapshot.js';

const layouts = new WeakMap<TableSnapshot, Map<string, ChainEntries>>();

function layoutOf(snapshot: TableSnapshot): Map<string, ChainEntries> {
  let layout = layouts.get(snapshot);
  if (!layout) {
    const { info, entries } = snapshot;
    layout = entryLayout(decodeTable(info.name, info, entries));
    layouts.set(snapshot, layout);
  }
  return layout;
}

/** The `counters` of a CLASSIFY reply (JSON) as entry updates of `snapshot`. */
export function classifyReplyCounters(body: Uint8Array, snapshot: TableSnapshot): CounterUpdate[] {
  const reply = JSON.parse(new TextDecoder().decode(body)) as {
    counters?: { chain: string; rule?: number; policy?: boolean; packets: number; bytes: number }[];
  };
  const layout = layoutOf(snapshot);
  return (reply.counters ?? []).map((c) => {
    const chain = layout.get(c.chain);
    const entry = c.policy ? chain?.end : chain?.rules[(c.rule ?? 0) - 1];
    if (entry === undefined)
      throw new RangeError(
        `CLASSIFY reply names ${c.chain} ${c.rule ?? 'policy'}, not in the table`,
      );
    return { entry, packets: BigInt(c.packets), bytes: BigInt(c.bytes) };
  });
}

/** The counter section of a CLASSIFY_BATCH reply. */
export function batchReplyCounters(body: Uint8Array): CounterUpdate[] {
  const view = viewOf(body);
  if (body.length < 16 || view.getUint32(0, true) !== BATCH_REPLY_MAGIC)
    throw new RangeError('CLASSIFY_BATCH reply without its header');
  const count = view.getUint32(8, true);
  if (body.length < 16 + count * BATCH_COUNTER_SIZE)
    throw new RangeError('CLASSIFY_BATCH reply shorter than its counters');
  const updates: CounterUpdate[] = [];
  for (let k = 0; k < count; k++) {
    const at = 16 + k * BATCH_COUNTER_SIZE;
    updates.push({
      entry: view.getUint32(at, true),
      packets: view.getBigUint64(at + 4, true),
      bytes: view.getBigUint64(at + 12, true),
    });
  }
  return updates;
}
