import { describe, expect, it } from 'vitest';
import { writePacketExtension } from './netlink-packet.js';
import { NetlinkWriter } from './netlink-writer.js';

const TCP = 6;
/** The writer's first buffer (NetlinkWriter's smallest capacity). */
const FIRST_BUFFER = 1 << 16;

const info = (size: number, write: (view: DataView) => void) => {
  const data = new Uint8Array(size);
  write(new DataView(data.buffer));
  return data;
};

// Targets whose value goes into an immediate after the call that may grow the buffer: a value
// stored through the buffer read before that call lands in the old buffer and is lost.
const TARGETS = [
  { name: 'TCPMSS', revision: 0, protocol: TCP, data: info(8, (v) => v.setUint16(0, 1400, true)) },
  {
    name: 'CLASSIFY',
    revision: 0,
    protocol: 0,
    data: info(8, (v) => v.setUint32(0, 0x10002, true)),
  },
  // struct xt_ct_target_info_v1 (revision 2): flags 0, zone 7 (both directions).
  { name: 'CT', revision: 2, protocol: 0, data: info(72, (v) => v.setUint16(2, 7, true)) },
];

function written(target: (typeof TARGETS)[number], before: number): Buffer {
  const w = new NetlinkWriter();
  w.append(new Uint8Array(before));
  const from = w.length;
  expect(
    writePacketExtension('target', w, target.name, target.data, target.revision, target.protocol),
  ).toBe(true);
  return w.bytes().subarray(from);
}

describe('a target value written while the netlink writer grows', () => {
  it.each(TARGETS)('$name: the same bytes wherever the buffer grows', (target) => {
    const alone = written(target, 0);
    // Every 4-byte position of the target's expressions across the end of the first buffer.
    for (let before = FIRST_BUFFER - alone.length - 4; before <= FIRST_BUFFER; before += 4) {
      expect(written(target, before), `${before} bytes before it`).toEqual(alone);
    }
  });
});
