import { describe, expect, it } from 'vitest';
import { formatIcmpType, parseIcmpType } from './icmp-types.js';
import { formatPortRange, parsePortRange, parseServices } from './ports.js';
import { formatProtocol, parseProtocol, parseProtocolDatabase } from './protocols.js';
import { saveString } from './save-string.js';
import { formatTcpFlags, parseTcpFlags } from './tcp-flags.js';
import { tokenizeLine } from './tokenize.js';

describe('iptables-save vocabulary', () => {
  it('ports and ranges', () => {
    expect(parsePortRange('22')).toEqual([22, 22]);
    expect(parsePortRange('1024:')).toEqual([1024, 65535]);
    expect(parsePortRange(':80')).toEqual([0, 80]);
    const services = parseServices(
      '# c\nssh\t\t22/tcp\t\t\t# SSH\nhttp 80/tcp www\ndomain 53/udp\n',
    );
    expect(parsePortRange('ssh', services)).toEqual([22, 22]);
    expect(parsePortRange('domain:www', services)).toEqual([53, 80]);
    expect(parsePortRange('www', services)).toEqual([80, 80]);
    expect(() => parsePortRange('ssh', new Map())).toThrow('invalid port "ssh"');
    expect(formatPortRange([1000, 2000])).toBe('1000:2000');
    expect(() => parsePortRange('90:80')).toThrow(/90 > 80/);
    expect(() => parsePortRange('70000')).toThrow(SyntaxError);
  });

  it('ICMP types by name and number; save prints numbers', () => {
    expect(parseIcmpType('echo-request')).toEqual({ type: 8, codeMin: 0, codeMax: 255 });
    expect(parseIcmpType('port-unreachable')).toEqual({ type: 3, codeMin: 3, codeMax: 3 });
    expect(parseIcmpType('3/1')).toEqual({ type: 3, codeMin: 1, codeMax: 1 });
    expect(formatIcmpType({ type: 8, codeMin: 0, codeMax: 255 })).toBe('8');
    expect(formatIcmpType({ type: 3, codeMin: 3, codeMax: 3 })).toBe('3/3');
    expect(formatIcmpType(parseIcmpType('any'))).toBe('any');
    expect(() => parseIcmpType('bogus')).toThrow(SyntaxError);
  });

  it('TCP flags in libxt_tcp order', () => {
    expect(parseTcpFlags('SYN,ACK')).toBe(0x12);
    expect(formatTcpFlags(parseTcpFlags('ACK,SYN'))).toBe('SYN,ACK');
    expect(formatTcpFlags(parseTcpFlags('ALL'))).toBe('FIN,SYN,RST,PSH,ACK,URG');
    expect(formatTcpFlags(0)).toBe('NONE');
    expect(() => parseTcpFlags('SYN,BOGUS')).toThrow(/BOGUS/);
  });

  it('protocols', () => {
    expect(parseProtocol('tcp')).toBe(6);
    expect(parseProtocol('47')).toBe(47);
    expect(formatProtocol(17)).toBe('udp');
    const none = parseProtocolDatabase('');
    expect(formatProtocol(47, none)).toBe('47');
    expect(() => parseProtocol('gre', none)).toThrow(SyntaxError);
    const db = parseProtocolDatabase(
      '# comment\nip\t0\tIP\ngre\t47\tGRE\t\t# General Routing\ntcp 6 TCP\nospf 89 OSPFIGP\n',
    );
    expect(formatProtocol(47, db)).toBe('gre');
    expect(formatProtocol(6, db)).toBe('tcp');
    expect(parseProtocol('GRE', db)).toBe(47);
    expect(parseProtocol('OSPFIGP', db)).toBe(89);
  });

  it('quoting like xtables_save_string, and tokenizing it back', () => {
    expect(saveString('ping')).toBe(' ping');
    expect(saveString('ping ')).toBe(' "ping "');
    expect(saveString('a"b\\c')).toBe(' "a\\"b\\\\c"');
    expect(tokenizeLine(`-A OUTPUT -j LOG --log-prefix "ping "`)).toEqual([
      '-A',
      'OUTPUT',
      '-j',
      'LOG',
      '--log-prefix',
      'ping ',
    ]);
    expect(tokenizeLine(`x${saveString('a"b\\c')}`)).toEqual(['x', 'a"b\\c']);
    expect(tokenizeLine(`a '' "x y"`)).toEqual(['a', '', 'x y']);
    expect(() => tokenizeLine('a "b')).toThrow(/unterminated/);
  });
});
