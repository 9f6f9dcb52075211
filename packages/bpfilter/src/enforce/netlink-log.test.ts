import { describe, expect, it } from 'vitest';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { attr, expr, filterBatch, tableBatch, u32 } from './netlink-bytes.testing.js';

/** A NUL-terminated string attribute. */
const str = (type: number, value: string) => attr(type, Buffer.from(`${value}\0`));
/** An NLA_U16 attribute (network order). */
const u16 = (type: number, value: number) => attr(type, Uint8Array.of(value >> 8, value & 255));

const log = (...data: Buffer[]) => expr('log', ...data);

/** Expects the batch of INPUT holding `rule` (text, or a model rule) to hold `want`, once. */
function expectTail(rule: string | Rule, want: Buffer): void {
  const bytes = typeof rule === 'string' ? filterBatch(rule) : inputBatch(rule);
  const at = bytes.indexOf(want);
  expect(at, `${JSON.stringify(rule)}\n${bytes.toString('hex')}`).toBeGreaterThan(0);
  expect(bytes.indexOf(want, at + 1)).toBe(-1);
}

/** The batch of a filter table whose INPUT holds `rule` (bpfilter's text has no NFLOG). */
function inputBatch(rule: Rule): Buffer {
  const [parsed] = parseSave(
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
  );
  const chains = parsed!.chains.map((c) => (c.name === 'INPUT' ? { ...c, rules: [rule] } : c));
  return tableBatch({ name: 'filter', chains });
}

/** `-j NFLOG` (struct xt_nflog_info: u32 len, u16 group, threshold, flags, pad, prefix[64]). */
function nflog(group: number, prefix = '', size?: number, threshold = 0): Rule {
  const data = Buffer.alloc(80);
  data.writeUInt32LE(size ?? 0, 0);
  data.writeUInt16LE(group, 4);
  data.writeUInt16LE(threshold, 6);
  data.writeUInt16LE(size === undefined ? 0 : 1, 8);
  data.write(prefix, 12);
  return { matches: [], target: { kind: 'raw', name: 'NFLOG', revision: 0, data } };
}

// The bytes of `nft --debug=mnl -f` (nft 1.0.6) for the same statements; u32 in network order.
describe('LOG and NFLOG in the netlink batch', () => {
  it('writes -j LOG --log-prefix as `log prefix "bl: " level warn`', () => {
    expectTail(
      '-A INPUT -s 10.0.0.1/32 -j LOG --log-prefix "bl: "',
      log(str(2, 'bl: '), u32(5, 4)),
    );
  });

  it('writes a level without a prefix, and no flags attribute when there is none', () => {
    expectTail('-A INPUT -j LOG --log-level 7', log(u32(5, 7)));
    expectTail('-A INPUT -j LOG --log-level 0', log(u32(5, 0)));
  });

  const flags: [string, number][] = [
    ['--log-tcp-sequence', 0x01],
    ['--log-tcp-options', 0x02],
    ['--log-ip-options', 0x04],
    ['--log-uid', 0x08],
    ['--log-macdecode', 0x20],
  ];
  for (const [option, bit] of flags)
    it(`writes ${option} as NFTA_LOG_FLAGS ${bit}`, () => {
      expectTail(
        `-A INPUT -p tcp -j LOG --log-prefix x ${option}`,
        log(str(2, 'x'), u32(5, 4), u32(6, bit)),
      );
    });

  it('writes several flags as their sum (nft: `flags tcp sequence,options` is 3, `all` 0x2f)', () => {
    expectTail(
      '-A INPUT -j LOG --log-level 6 --log-ip-options --log-uid --log-macdecode',
      log(u32(5, 6), u32(6, 0x2c)),
    );
    expectTail(
      '-A INPUT -j LOG --log-level 4 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode',
      log(u32(5, 4), u32(6, 0x2f)),
    );
  });

  it('writes -j NFLOG with every option as `log prefix "x:" group 2 snaplen 100 queue-threshold 5`', () => {
    expectTail(nflog(2, 'x:', 100, 5), log(str(2, 'x:'), u16(1, 2), u32(3, 100), u16(4, 5)));
  });

  it('writes a bare -j NFLOG as `log group 0`, --nflog-size 0 as `snaplen 0`', () => {
    expectTail(nflog(0), log(u16(1, 0)));
    expectTail(nflog(65535, '', 0), log(u16(1, 65535), u32(3, 0)));
  });
});
