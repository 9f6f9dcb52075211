import { describe, expect, it } from 'vitest';
import {
  Errno,
  IPT_GETINFO_SIZE,
  decodeCountersInfoHeader,
  decodeCounters,
  decodeEntryHeader,
  decodeGetEntriesHeader,
  decodeGetRevision,
  decodeGetinfo,
  decodeIcmp,
  decodeLogInfo,
  decodeMboxReply,
  decodeMboxRequest,
  decodeRejectInfo,
  decodeReplace,
  decodeTcp,
  decodeUdp,
  decodeXtHeader,
  encodeCountersInfo,
  encodeErrorTarget,
  encodeGetEntries,
  encodeGetRevision,
  encodeGetinfo,
  encodeIcmp,
  encodeLogInfo,
  encodeMboxReply,
  encodeMboxRequest,
  encodeRejectInfo,
  encodeReplace,
  encodeStandardTarget,
  encodeTcp,
  encodeUdp,
  encodeXtObject,
  fromHex,
  interfaceMaskFor,
  readErrorName,
  readStandardVerdict,
  toHex,
  writeEntryHeader,
  xtAlign,
} from './index.js';

// Fixed byte vectors, from test/vectors/basic.jsonl (iptables-legacy 1.8.9 against Linux).
const FILTER_GETINFO =
  '66696c74657200000000000000000000000000000000000000000000000000000e000000ffffffff000000009800000030010000ffffffffffffffff000000009800000030010000ffffffff0400000078020000';
const REPLACE_HEADER =
  '66696c74657200000000000000000000000000000000000000000000000000000e0000000500000040030000000000000000000060010000f80100000000000000000000c800000060010000f8010000000000000400000030d6dbfbb8550000';
// First entry of that replace: -s 10.0.0.0/8 -p tcp (header only).
const ENTRY_HEADER =
  '0a00000000000000ff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000600000000000000a000c8000000000000000000000000000000000000000000';
const ADD_COUNTERS =
  '66696c746572000000000000000000000000000000000000000000000000000005000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000';

describe('table-level structs', () => {
  it('ipt_getinfo (84 bytes)', () => {
    const info = decodeGetinfo(fromHex(FILTER_GETINFO));
    expect(info).toEqual({
      name: 'filter',
      validHooks: 0x0e,
      hookEntry: [0xffffffff, 0, 152, 304, 0xffffffff],
      underflow: [0xffffffff, 0, 152, 304, 0xffffffff],
      numEntries: 4,
      size: 632,
    });
    expect(toHex(encodeGetinfo(info))).toBe(FILTER_GETINFO);
    expect(IPT_GETINFO_SIZE).toBe(84);
  });

  it('ipt_replace (96-byte header, counters pointer at 88)', () => {
    const bytes = fromHex(REPLACE_HEADER);
    const replace = decodeReplace(bytes);
    expect(replace).toMatchObject({
      name: 'filter',
      validHooks: 0x0e,
      numEntries: 5,
      size: 832,
      hookEntry: [0, 0, 352, 504, 0],
      underflow: [0, 200, 352, 504, 0],
      numCounters: 4,
    });
    expect(replace.countersPointer).toBe(0x55b8fbdbd630n);
    expect(replace.entries.length).toBe(0);
    expect(toHex(encodeReplace(replace))).toBe(REPLACE_HEADER);
  });

  it('ipt_get_entries (entries at 40)', () => {
    const bytes = encodeGetEntries('raw', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(toHex(bytes)).toBe(`726177${'00'.repeat(29)}08000000000000000102030405060708`);
    expect(decodeGetEntriesHeader(bytes)).toEqual({ name: 'raw', size: 8 });
  });

  it('xt_counters_info (counters at 40) and xt_counters', () => {
    expect(
      toHex(
        encodeCountersInfo({
          name: 'filter',
          counters: Array.from({ length: 5 }, () => ({ packets: 0n, bytes: 0n })),
        }),
      ),
    ).toBe(ADD_COUNTERS);
    const bytes = encodeCountersInfo({
      name: 'x',
      counters: [{ packets: 1n, bytes: 0x1122334455667788n }],
    });
    expect(toHex(bytes.subarray(40))).toBe('0100000000000000' + '8877665544332211');
    expect(decodeCountersInfoHeader(bytes)).toEqual({ name: 'x', numCounters: 1 });
    expect(decodeCounters(bytes, 40, 1)).toEqual([{ packets: 1n, bytes: 0x1122334455667788n }]);
    // The same counters as pairs, the same bytes.
    expect(toHex(encodeCountersInfo({ name: 'filter', counters: new BigUint64Array(10) }))).toBe(
      ADD_COUNTERS,
    );
    const pairs = BigUint64Array.of(1n, 0x1122334455667788n);
    expect(toHex(encodeCountersInfo({ name: 'x', counters: pairs }))).toBe(toHex(bytes));
  });

  it('xt_get_revision (30 bytes)', () => {
    const hex = `746370${'00'.repeat(26)}00`;
    expect(toHex(encodeGetRevision({ name: 'tcp', revision: 0 }))).toBe(hex);
    expect(decodeGetRevision(fromHex(`4c4f47${'00'.repeat(26)}03`))).toEqual({
      name: 'LOG',
      revision: 3,
    });
  });
});

describe('entries, matches and targets', () => {
  it('ipt_entry header (112 bytes) with its ipt_ip (84)', () => {
    const bytes = fromHex(ENTRY_HEADER);
    expect(bytes.length).toBe(112);
    const header = decodeEntryHeader(bytes);
    expect(header.ip).toMatchObject({
      src: '10.0.0.0',
      srcMask: '255.0.0.0',
      dst: '0.0.0.0',
      proto: 6,
      flags: 0,
      invflags: 0,
      inIface: '',
    });
    expect(header).toMatchObject({
      nfcache: 0,
      targetOffset: 160,
      nextOffset: 200,
      comefrom: 0,
      packets: 0n,
      bytes: 0n,
    });
    const out = new Uint8Array(112);
    writeEntryHeader(out, 0, header);
    expect(toHex(out)).toBe(ENTRY_HEADER);
  });

  it('interface masks as iptables derives them', () => {
    expect(toHex(interfaceMaskFor('lo'))).toBe(`ffffff${'00'.repeat(13)}`);
    expect(toHex(interfaceMaskFor('eth0'))).toBe(`ffffffffff${'00'.repeat(11)}`);
    expect(toHex(interfaceMaskFor('eth+'))).toBe(`ffffff${'00'.repeat(13)}`);
    expect(toHex(interfaceMaskFor(''))).toBe('00'.repeat(16));
  });

  it('standard target (40 bytes) and ERROR target (64 bytes)', () => {
    expect(toHex(encodeStandardTarget(-2))).toBe(`2800${'00'.repeat(30)}feffffff00000000`);
    expect(readStandardVerdict(encodeStandardTarget(1136), 0)).toBe(1136);
    const error = encodeErrorTarget('web');
    expect(toHex(error)).toBe(`40004552524f52${'00'.repeat(25)}776562${'00'.repeat(29)}`);
    expect(readErrorName(error, 0)).toBe('web');
    expect(decodeXtHeader(error, 0)).toEqual({ size: 64, name: 'ERROR', revision: 0 });
  });

  it('tcp match data (xt_tcp, 12 bytes, match 48)', () => {
    const data = fromHex('0000ffff160016000000000000000000'.slice(0, 24));
    expect(decodeTcp(data)).toEqual({
      sourcePorts: [0, 65535],
      destinationPorts: [22, 22],
      option: 0,
      flagsMask: 0,
      flagsCompare: 0,
      invflags: 0,
    });
    const flags = {
      sourcePorts: [0, 65535] as [number, number],
      destinationPorts: [0, 65535] as [number, number],
      option: 0,
      flagsMask: 0x12,
      flagsCompare: 0x02,
      invflags: 0,
    };
    expect(toHex(encodeTcp(flags))).toBe('0000ffff0000ffff00120200');
    const match = encodeXtObject({ name: 'tcp', revision: 0, data: encodeTcp(flags) });
    expect(match.length).toBe(48);
    expect(toHex(match.subarray(0, 32))).toBe(`3000746370${'00'.repeat(27)}`);
  });

  it('udp match data (xt_udp, 10 bytes), icmp (ipt_icmp, 4 bytes)', () => {
    const udp = fromHex('350035000000ffff0100');
    expect(decodeUdp(udp)).toEqual({
      sourcePorts: [53, 53],
      destinationPorts: [0, 65535],
      invflags: 1,
    });
    expect(toHex(encodeUdp(decodeUdp(udp)))).toBe('350035000000ffff0100');
    expect(encodeXtObject({ name: 'udp', revision: 0, data: udp }).length).toBe(48);
    expect(decodeIcmp(fromHex('0800ff00'))).toEqual({
      type: 8,
      codeMin: 0,
      codeMax: 255,
      invflags: 0,
    });
    expect(toHex(encodeIcmp({ type: 8, codeMin: 0, codeMax: 255, invflags: 0 }))).toBe('0800ff00');
  });

  it('REJECT (ipt_reject_info) and LOG (ipt_log_info, 32 bytes)', () => {
    expect(toHex(encodeRejectInfo(3))).toBe('03000000');
    expect(decodeRejectInfo(fromHex('03000000'))).toBe(3);
    const log = `040070696e6720${'00'.repeat(25)}`;
    expect(decodeLogInfo(fromHex(log))).toEqual({ level: 4, logflags: 0, prefix: 'ping ' });
    expect(toHex(encodeLogInfo({ level: 4, logflags: 0, prefix: 'ping ' }))).toBe(log);
    expect(encodeXtObject({ name: 'LOG', revision: 0, data: fromHex(log) }).length).toBe(64);
    expect(xtAlign(33)).toBe(40);
  });
});

describe('handler framing (mbox_request / reply)', () => {
  it('encodes the 24-byte request header little-endian', () => {
    const bytes = encodeMboxRequest({
      isSet: true,
      cmd: 64,
      data: Uint8Array.of(9, 9),
      addr: 0x1122334455667788n,
      pid: 77,
    });
    expect(toHex(bytes)).toBe(
      '8877665544332211' + '02000000' + '01000000' + '40000000' + '4d000000' + '0909',
    );
    expect(decodeMboxRequest(bytes)).toMatchObject({
      addr: 0x1122334455667788n,
      len: 2,
      isSet: true,
      cmd: 64,
      pid: 77,
    });
    expect(decodeMboxRequest(new Uint8Array(23))).toBeUndefined();
  });

  it('encodes replies as i32 status then body', () => {
    expect(toHex(encodeMboxReply(-Errno.ELOOP, Uint8Array.of(1)))).toBe('d8ffffff01');
    expect(decodeMboxReply(fromHex('eaffffff'))).toEqual({ status: -22, body: new Uint8Array(0) });
  });
});
