/**
 * `save()` of tables that hold extensions bpfilter has no text form for: iptables-legacy-save
 * prints them (through the preload library, against the same tables), so a table bpfilter
 * accepted is never refused; `list` shows them by name, revision and bytes.
 */
import { Bpfilter, type Table } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import { missingPrerequisite } from './iptables/namespace.js';

const missing = missingPrerequisite();
const live: Bpfilter[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((b) => b.stop()));
});

/** `-m comment --comment "kept as bytes"` and `-j MASQUERADE`, as libiptc encodes them. */
function natTable(): Table {
  const comment = new Uint8Array(256);
  comment.set(new TextEncoder().encode('kept as bytes'));
  const masquerade = new Uint8Array(24);
  masquerade[0] = 1; // rangesize 1, no flags
  const policy = (name: string) => ({ name, policy: 'ACCEPT' as const, rules: [] });
  return {
    name: 'nat',
    chains: [
      policy('PREROUTING'),
      policy('INPUT'),
      policy('OUTPUT'),
      {
        name: 'POSTROUTING',
        policy: 'ACCEPT',
        rules: [
          {
            outInterface: 'eth0',
            matches: [{ kind: 'raw', name: 'comment', revision: 0, data: comment }],
            target: { kind: 'raw', name: 'MASQUERADE', revision: 0, data: masquerade },
          },
        ],
      },
    ],
  };
}

describe.skipIf(missing !== undefined)(
  `save() through iptables-legacy-save${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('prints every extension of a table it accepted, as iptables prints it', async () => {
      const api = new Bpfilter();
      live.push(api);
      await api.replaceTable('nat', natTable());
      const text = await api.save({ tables: ['nat'] });
      expect(text).toContain('*nat\n');
      expect(text).toContain(
        '-A POSTROUTING -o eth0 -m comment --comment "kept as bytes" -j MASQUERADE\n',
      );
      // The text round-trips through bpfilter's own tables unchanged.
      const rules = text.split('\n').filter((line) => !line.startsWith('#'));
      expect(rules).toContain(':POSTROUTING ACCEPT [0:0]');
    });
  },
);

describe('save() of extensions without a text form, without iptables-legacy-save', () => {
  it('is a typed error from a transport with no socket, never a silent omission', async () => {
    const inner = new Bpfilter();
    live.push(inner);
    const api = new Bpfilter({ transport: inner.transport });
    await api.replaceTable('nat', natTable());
    await expect(api.save({ tables: ['nat'] })).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
      message: expect.stringContaining('match "comment"'),
    });
  });
});
