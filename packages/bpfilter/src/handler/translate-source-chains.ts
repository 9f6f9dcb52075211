/**
 * `mark_source_chains`: walk every hook's rules depth-first without recursion (back pointers
 * in a side table where the kernel borrows the packet counter), record in `comefrom` which
 * hooks reach each entry; a loop, a jump off an entry boundary or a fall off the end is
 * refused. The side table is indexed by offset / 8 (entries are 8-byte aligned; one that is
 * not is refused too), which costs less than a Map per table.
 */
import { type EntryBlob, type EntryIndex, NF_INET_NUMHOOKS } from '../abi/index.js';

/** The bit `comefrom` carries while an entry is on the walk's path (a loop if met again). */
const ON_PATH = 1 << NF_INET_NUMHOOKS;

/** Sets `comefrom` of every entry a hook reaches; returns a message on failure. */
export function markSourceChains(
  blob: EntryBlob,
  validHooks: number,
  hookEntry: readonly number[],
  entryIndex: EntryIndex,
): string | undefined {
  const size = blob.size;
  const back = new Uint32Array((size >>> 3) + 1);
  for (let hook = 0; hook < NF_INET_NUMHOOKS; hook++) {
    if (!(validHooks & (1 << hook))) continue;
    let pos = hookEntry[hook] ?? 0;
    let e = pos;
    if (e & 7) return misaligned(hook, e);
    back[e >>> 3] = pos;
    for (;;) {
      const isStandard = blob.hasStandardTarget(e);
      const verdict = blob.verdict(e);
      const visited = blob.comefrom(e) & (1 << hook);
      if (blob.comefrom(e) & ON_PATH)
        return `hook ${hook}: loop through entry ${entryIndex.get(e)} at offset ${e}`;
      blob.setComefrom(e, blob.comefrom(e) | (1 << hook) | ON_PATH);

      // The cheap tests first: isUnconditional reads the entry's whole ipt_ip.
      if ((isStandard && verdict < 0 && blob.isUnconditional(e)) || visited) {
        // Return: backtrack through the last jump.
        let oldpos: number;
        let done = false;
        do {
          blob.setComefrom(e, blob.comefrom(e) ^ ON_PATH);
          oldpos = pos;
          pos = back[e >>> 3]!;
          back[e >>> 3] = 0;
          if (pos === oldpos) {
            done = true;
            break;
          }
          e = pos;
        } while (oldpos === pos + blob.nextOffset(e));
        if (done) break;
        const step = blob.nextOffset(e);
        e = pos + step;
        if (pos + step >= size)
          return `hook ${hook}: falls off the end of the table after the entry at offset ${pos}`;
        if (e & 7) return misaligned(hook, e);
        back[e >>> 3] = pos;
        pos += step;
      } else {
        let newpos = verdict;
        if (isStandard && newpos >= 0) {
          if (!entryIndex.has(newpos))
            return `hook ${hook}: entry ${entryIndex.get(e)} at offset ${e} jumps to offset ${newpos}, which is not an entry boundary`;
        } else {
          newpos = pos + blob.nextOffset(e);
          if (newpos >= size)
            return `hook ${hook}: falls off the end of the table after the entry at offset ${pos}`;
        }
        e = newpos;
        if (e & 7) return misaligned(hook, e);
        back[e >>> 3] = pos;
        pos = newpos;
      }
    }
  }
  return undefined;
}

function misaligned(hook: number, offset: number): string {
  return `hook ${hook}: the walk reaches offset ${offset}, which is not 8-byte aligned`;
}
