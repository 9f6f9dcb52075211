import { describe, expect, it } from 'vitest';
import { UsageError } from '@umd/core/cli';
import { hookFromArgs, packetFromArgs } from './classify-args.js';

describe('classify options -> packet', () => {
  it('maps every option', () => {
    expect(
      packetFromArgs({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        proto: 'tcp',
        sport: '1234',
        dport: '22',
        in: 'eth0',
        out: 'eth1',
        'tcp-flags': 'SYN,ACK',
        fragment: true,
        length: '1500',
      }),
    ).toEqual({
      source: '10.0.0.1',
      destination: '10.0.0.2',
      protocol: 6,
      sourcePort: 1234,
      destinationPort: 22,
      inInterface: 'eth0',
      outInterface: 'eth1',
      tcpFlags: 0x12,
      fragment: true,
      length: 1500,
    });
    expect(
      packetFromArgs({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        proto: 'icmp',
        'icmp-type': 'port-unreachable',
      }),
    ).toMatchObject({ protocol: 1, icmpType: 3, icmpCode: 3 });
  });

  it('names the option at fault', () => {
    expect(() => packetFromArgs({ dst: '1.2.3.4' })).toThrow('--src and --dst are required');
    expect(() => packetFromArgs({ src: '10.0.0.1', dst: '10.0.0.2', dport: '70000' })).toThrow(
      '--dport: "70000" is not a port number',
    );
    expect(() => packetFromArgs({ src: '10.0.0.1', dst: '10.0.0.2', length: 'x' })).toThrow(
      '--length',
    );
    expect(() => packetFromArgs({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'bogus' })).toThrow(
      '--proto: unknown protocol',
    );
    expect(() => packetFromArgs({ src: '10.0.0.999', dst: '10.0.0.2' })).toThrow(
      '--src: not an IPv4 address: "10.0.0.999"',
    );
    expect(() => packetFromArgs({ src: '10.0.0.1', dst: '1.2.3' })).toThrow('--dst: not an IPv4');
    expect(() =>
      packetFromArgs({ src: '10.0.0.1', dst: '10.0.0.2', 'tcp-flags': 'SYN,BOGUS' }),
    ).toThrow('--tcp-flags: unknown TCP flag "BOGUS"');
    expect(() => hookFromArgs({})).toThrow('--hook is required');
    expect(() => hookFromArgs({ hook: 'input' })).toThrow('--hook: "input" is not one of');
    expect(hookFromArgs({ hook: 'INPUT' })).toBe('INPUT');
    for (const bad of [() => packetFromArgs({}), () => hookFromArgs({})])
      expect(bad).toThrow(UsageError);
  });
});
