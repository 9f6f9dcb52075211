import { describe, expect, it } from 'vitest';
import { filterBatch as batchOf } from './netlink-bytes.testing.js';

// The attributes nft 1.0.6 sends for `tcp sport 1 tcp dport 2` (`nft --debug=netlink`:
// [ payload load 4b @ transport header + 0 => reg 1 ] [ cmp eq reg 1 0x02000100 ]).
const LOAD_BOTH = Buffer.from(
  '0800010000000001080002000000000208000300000000000800040000000004',
  'hex',
);
const COMPARE_BOTH = Buffer.from(
  '08000100000000010800020000000000' + '0c000380' + '08000100' + '00010002',
  'hex',
);
/** A load of the destination port alone (2 bytes at the transport header's offset 2). */
const LOAD_DESTINATION = Buffer.from(
  '0800010000000001080002000000000208000300000000020800040000000002',
  'hex',
);

describe('port matches in the netlink batch', () => {
  it('one port each, neither inverted: one load of both and one compare, as nft writes them', () => {
    for (const p of ['tcp', 'udp']) {
      const bytes = batchOf(`-A INPUT -p ${p} -m ${p} --sport 1 --dport 2 -j DROP`);
      expect(bytes.indexOf(LOAD_BOTH)).toBeGreaterThan(0);
      expect(bytes.indexOf(COMPARE_BOTH)).toBeGreaterThan(0);
      expect(bytes.indexOf(LOAD_DESTINATION)).toBe(-1);
    }
  });

  it('an inverted port or a range keeps a load and a compare per port', () => {
    for (const ports of [
      '--sport 1 ! --dport 2',
      '! --sport 1 --dport 2',
      '--sport 1 --dport 2:3',
    ]) {
      const bytes = batchOf(`-A INPUT -p tcp -m tcp ${ports} -j DROP`);
      expect(bytes.indexOf(LOAD_BOTH), ports).toBe(-1);
      expect(bytes.indexOf(LOAD_DESTINATION), ports).toBeGreaterThan(0);
    }
  });
});
