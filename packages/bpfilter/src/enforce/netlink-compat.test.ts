import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/encode.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { compileTable, layoutEnforced, type TableEntries, tryCompile } from './compile-table.js';
import { EnforcementError } from './errors.js';

function table(extra: Rule[], lines: string[] = []): TableEntries {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  const [parsed] = parseSave(text);
  const chains = parsed!.chains.map((c) =>
    c.name === 'INPUT' ? { ...c, rules: [...c.rules, ...extra] } : c,
  );
  const encoded = encodeTable({ name: parsed!.name, chains });
  return { name: encoded.name, layout: encoded, entries: encoded.entries };
}

const INFO = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
const recent: Rule = {
  protocol: 6,
  matches: [{ kind: 'raw', name: 'recent', revision: 1, data: INFO }],
  target: { kind: 'verdict', verdict: 'DROP' },
};

/** Where `needle` is in `hay`, or -1. */
const find = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle));

describe('nft_compat in the netlink batch', () => {
  it("writes an extension nft has no form for as a `match` with the entry's name, revision and info", () => {
    const compiled = compileTable({ ...table([recent]), netlink: true });
    const bytes = compiled.batch!.bytes;
    expect(find(bytes, Buffer.from('match\0'))).toBeGreaterThan(0);
    expect(find(bytes, Buffer.from('recent\0'))).toBeGreaterThan(0);
    // NFTA_MATCH_INFO: the 24 bytes as they are, after its attribute header (28 bytes, type 3).
    const at = find(bytes, INFO);
    expect(at).toBeGreaterThan(0);
    expect([...bytes.subarray(at - 4, at)]).toEqual([28, 0, 3, 0]);
    // NFTA_RULE_COMPAT (nested, type 5): proto 6, flags 0.
    const compat = Buffer.from([
      0x14, 0, 0x05, 0x80, 8, 0, 1, 0, 0, 0, 0, 6, 8, 0, 2, 0, 0, 0, 0, 0,
    ]);
    expect(find(bytes, compat)).toBeGreaterThan(0);
    expect([...compiled.batch!.compatRules!.values()]).toEqual([
      'rule 1 of chain INPUT (xt match recent revision 1, nft_compat)',
    ]);
  });

  it('keeps native statements beside nft_compat; -i + is no match, ! -i + refused', () => {
    // `-i +` compares no byte of the name: no interface match at all, in both writers.
    const anyIn = compileTable({ ...table([], ['-A INPUT -i + -j DROP']), netlink: true });
    const noIn = compileTable({ ...table([], ['-A INPUT -j DROP']), netlink: true });
    expect(anyIn.batch!.bytes).toEqual(noIn.batch!.bytes);
    // `! -i +` matches no packet, which nft has no form for: refused, naming it.
    const noneIn = table([], ['-A INPUT ! -i + -j DROP']);
    expect(() => compileTable({ ...noneIn, netlink: true })).toThrow(/! -i \+/);
    // LOG is written natively (netlink-log.ts), beside a match only nft_compat runs.
    const both = table([recent], ['-A INPUT -j LOG --log-prefix x']);
    const compiled = compileTable({ ...both, netlink: true });
    expect([...compiled.batch!.compatRules!.values()]).toEqual([
      'rule 2 of chain INPUT (xt match recent revision 1, nft_compat)',
    ]);
    for (const rule of ['-A INPUT -p tcp -m tcp --dport 22 -j DROP', '-A INPUT -j LOG']) {
      const plain = compileTable({ ...table([], [rule]), netlink: true });
      expect(plain.batch!.compatRules).toBeUndefined();
    }
  });

  it('records what each table of a transaction holds through nft_compat apart (a start installs several)', () => {
    const filter = table([recent]);
    const [parsed] = parseSave(
      '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n',
    );
    const encoded = encodeTable(parsed!);
    const mangle = { name: encoded.name, layout: encoded, entries: encoded.entries };
    const batch = tryCompile([layoutEnforced(mangle), layoutEnforced(filter)])!;
    // Only filter holds an xt extension: a later replace of mangle alone drops nothing of it.
    expect([...batch.xtHeld!.keys()]).toEqual(['filter']);
    expect([...batch.xtHeld!.get('filter')!]).toEqual([
      `match recent 1 ${Buffer.from(INFO).toString('hex')}`,
    ]);
  });

  it('writes -j QUEUE as xt_NFQUEUE queue 0 (nft_queue is not in every kernel)', () => {
    const queue: Rule = { target: { kind: 'verdict', verdict: 'QUEUE' } };
    const compiled = compileTable({ ...table([queue]), netlink: true });
    expect([...compiled.batch!.compatRules!.values()]).toEqual([
      'rule 1 of chain INPUT (xt target NFQUEUE revision 0, nft_compat)',
    ]);
  });

  it('refuses a target bound to an iptables table by name, and one nft cannot hold without a batch', () => {
    const checksum: Rule = {
      target: {
        kind: 'raw',
        name: 'CHECKSUM',
        revision: 0,
        data: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0),
      },
    };
    const refused = (() => {
      try {
        return compileTable({ ...table([checksum]), netlink: true });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(EnforcementError);
    expect(refused).toMatchObject({ failure: 'untranslatable', extension: '-j CHECKSUM' });
    expect((refused as Error).message).toContain('rule 1 of chain INPUT');
    expect((refused as Error).message).toContain('only in the iptables table "mangle"');
    expect(() => compileTable({ ...table([recent]), netlink: false })).toThrow(
      /-m recent: nft has no form for it; bpfilter enforces it through nft_compat/,
    );
  });
});
