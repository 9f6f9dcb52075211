import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HelperProcess } from './helper-process.js';
import { openSharedFile, SHARED_MIN_BYTES } from './shared-request.js';

const batch = fileURLToPath(new URL('../../dist/native/bpfilter_nft_batch', import.meta.url));
const usable =
  existsSync(batch) &&
  existsSync('/dev/shm') &&
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-n', 'true']).status === 0;
if (!usable && process.env.CI === 'true')
  throw new Error('shared-request tests need root, unshare, /dev/shm and the built batch helper');

/** `count` nf_tables DELTABLE messages of a table no namespace of the test holds. */
function deletes(count: number): Buffer {
  const name = Buffer.from('bpfilter_none\0');
  const attr = 4 + name.length;
  const size = 16 + 4 + ((attr + 3) & ~3);
  const out = Buffer.alloc(size * count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    out.writeUInt32LE(size, at);
    out.writeUInt16LE((10 << 8) | 2, at + 4); // NFNL_SUBSYS_NFTABLES, NFT_MSG_DELTABLE
    out.writeUInt16LE(1, at + 6); // NLM_F_REQUEST
    out.writeUInt8(2, at + 16); // NFPROTO_IPV4
    out.writeUInt16LE(attr, at + 20);
    out.writeUInt16LE(1, at + 22); // NFTA_TABLE_NAME
    name.copy(out, at + 24);
  }
  return out;
}

/** The indexes of the messages the kernel refused, from the helper's answer. */
const refused = (output: string) =>
  output
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[1]));

describe('a shared file for large requests', () => {
  it('is not made where its directory cannot hold one', () => {
    expect(openSharedFile('/nonexistent-dir')).toBeUndefined();
  });
});

describe.skipIf(!usable)('the batch helper reading large requests from a shared file', () => {
  it('gets each request whole, small and large, one after the other', async () => {
    const helper = new HelperProcess('unshare', ['-n', batch], { shared: true });
    const ours = () =>
      readdirSync('/dev/shm').filter((f) => f.startsWith(`bpfilter-request-${process.pid}-`));
    try {
      // 2,600 messages (83 KB) through the file, 3 through stdin, then 2,700 again: each
      // answer names every message of its own request, the last one included.
      const large = deletes(2600);
      expect(large.length).toBeGreaterThanOrEqual(SHARED_MIN_BYTES);
      for (const count of [2600, 3, 2700]) {
        const answer = await helper.request(count === 2600 ? large : deletes(count));
        expect(answer.code).toBe(1);
        expect(refused(answer.output)).toEqual(Array.from({ length: count }, (_, i) => i));
      }
      // The helper's fd 3: a file in memory no name leads to, readable by its owner only.
      const fd3 = `/proc/${helper.pid}/fd/3`;
      expect(readlinkSync(fd3)).toMatch(/^\/dev\/shm\/bpfilter-request-.* \(deleted\)$/);
      expect(statSync(fd3).mode & 0o777).toBe(0o600);
      expect(ours()).toEqual([]);
    } finally {
      helper.close();
    }
  });

  it('a helper started again gets the file again', async () => {
    const helper = new HelperProcess('unshare', ['-n', batch], { shared: true });
    try {
      await helper.request(deletes(2600));
      const first = helper.pid!;
      spawnSync('kill', ['-KILL', String(first)]);
      await expect.poll(() => helper.pid, { timeout: 5000 }).toBeUndefined();
      const answer = await helper.request(deletes(2601));
      expect(helper.pid).not.toBe(first);
      expect(refused(answer.output)).toHaveLength(2601);
    } finally {
      helper.close();
    }
  });
});
