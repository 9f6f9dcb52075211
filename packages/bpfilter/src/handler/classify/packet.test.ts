import { describe, expect, it } from 'vitest';
import { parsePacket } from './packet.js';

describe('parsePacket', () => {
  it('fills defaults: header-only length per protocol, no interfaces', () => {
    expect(
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 'tcp' }),
    ).toMatchObject({ protocol: 6, length: 40, inInterface: '', tcpFlags: 0, fragment: false });
    expect(parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 'udp' }).length).toBe(
      28,
    );
    expect(parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 47 }).length).toBe(
      20,
    );
  });
  it('accepts TCP flags by name or as bits', () => {
    expect(
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', tcpFlags: ['syn', 'ACK'] }).tcpFlags,
    ).toBe(0x12);
    expect(
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', tcpFlags: 0x04 }).tcpFlags,
    ).toBe(0x04);
  });
  it('names the bad field', () => {
    expect(() => parsePacket(null)).toThrow(/object/);
    expect(() => parsePacket({ source: '1.2.3.4' })).toThrow(/destination/);
    expect(() =>
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 'sctp' }),
    ).toThrow(/protocol/);
    expect(() =>
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', tcpFlags: ['XYZ'] }),
    ).toThrow(/tcpFlags/);
    expect(() =>
      parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', inInterface: 'x'.repeat(16) }),
    ).toThrow(/inInterface/);
    const packet = { source: '1.2.3.4', destination: '5.6.7.8' };
    expect(() => parsePacket({ ...packet, outInterface: 'eth\0x' })).toThrow(/outInterface.*NUL/);
    expect(() => parsePacket({ ...packet, interfaceAddresses: { 'a\0': '1.2.3.4' } })).toThrow(
      /interfaceAddresses.*NUL/,
    );
    expect(() => parsePacket({ source: '1.2.3.4', destination: '5.6.7.8', length: -1 })).toThrow(
      /length/,
    );
  });
});
