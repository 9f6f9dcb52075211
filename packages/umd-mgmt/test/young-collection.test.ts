// A handler on serve()'s defaults reads each large request into fresh memory, which V8 frees only
// at a young-generation collection it starts by its own measure (every 32 MiB or more of
// requests). The handler runs one itself after every 4 MiB of such requests answered, between
// requests, so that the next ones reuse memory still in the CPU's cache (issue 11.4). These run
// under the manager's default sandbox: the permission model must not keep the handler from it.
import { describe, expect, it } from 'vitest';
import { fixtureLoader, managed, str, text } from './helpers/fixtures.js';

const MiB = 1024 * 1024;

/** The handler's young-generation collections over `count` echoed requests of `size` bytes. */
async function minorCollectionsOver(
  env: Record<string, string>,
  count: number,
  size: number,
): Promise<number> {
  const m = managed({ loader: fixtureLoader('echo'), env });
  expect(str(await m.request(text('gc:start')))).toBe('started');
  const payload = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    payload[i % size] = i;
    const reply = await m.request(payload);
    expect(Buffer.compare(reply, payload), `reply ${i}`).toBe(0);
  }
  return Number(str(await m.request(text('gc:minor'))));
}

describe('a handler collects the memory of its large requests', () => {
  it('about once per 4 MiB of fresh requests answered, by default', async () => {
    expect(await minorCollectionsOver({}, 48, MiB)).toBeGreaterThanOrEqual(12);
  });

  it('as often as collectAfterBytes says, and never with 0', async () => {
    const every2 = await minorCollectionsOver(
      { UMD_FIXTURE_COLLECT_AFTER: String(2 * MiB) },
      48,
      MiB,
    );
    expect(every2).toBeGreaterThanOrEqual(24);
    const never = await minorCollectionsOver({ UMD_FIXTURE_COLLECT_AFTER: '0' }, 48, MiB);
    expect(never, "V8's own: far fewer").toBeLessThan(8);
  });

  it('requests under 64 KiB are not counted: they are zero-filled allocations, not fresh buffers', async () => {
    // 16 MiB in 32 KiB requests: no early collection is due (a few of V8's own at most).
    expect(await minorCollectionsOver({}, 512, 32 * 1024)).toBeLessThan(4);
  });
});
