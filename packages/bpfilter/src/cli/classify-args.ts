/** `bpfilter classify` options -> the packet description CLASSIFY takes. */
import type { PacketDescription } from '../api/classify-types.js';
import { parseIcmpType } from '../text/icmp-types.js';
import { parseProtocol } from '../text/protocols.js';
import { parseTcpFlags } from '../text/tcp-flags.js';

/** The `classify` options as parsed from the command line (strings). */
export interface ClassifyArgs {
  src?: string;
  dst?: string;
  proto?: string;
  sport?: string;
  dport?: string;
  in?: string;
  out?: string;
  'tcp-flags'?: string;
  'icmp-type'?: string;
  fragment?: boolean;
  length?: string;
}

function port(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 0xffff)
    throw new SyntaxError(`--${name} must be a port number 0..65535`);
  return Number(text);
}

/** Builds the packet; throws a SyntaxError naming the option at fault. */
export function packetFromArgs(args: ClassifyArgs): PacketDescription {
  if (args.src === undefined || args.dst === undefined)
    throw new SyntaxError('--src and --dst are required');
  const packet: PacketDescription = { source: args.src, destination: args.dst };
  if (args.proto !== undefined) packet.protocol = parseProtocol(args.proto);
  const sourcePort = port(args.sport, 'sport');
  const destinationPort = port(args.dport, 'dport');
  if (sourcePort !== undefined) packet.sourcePort = sourcePort;
  if (destinationPort !== undefined) packet.destinationPort = destinationPort;
  if (args.in !== undefined) packet.inInterface = args.in;
  if (args.out !== undefined) packet.outInterface = args.out;
  if (args['tcp-flags'] !== undefined) packet.tcpFlags = parseTcpFlags(args['tcp-flags']);
  if (args['icmp-type'] !== undefined) {
    const spec = parseIcmpType(args['icmp-type']);
    packet.icmpType = spec.type;
    packet.icmpCode = spec.codeMin;
  }
  if (args.fragment) packet.fragment = true;
  if (args.length !== undefined) {
    if (!/^\d+$/.test(args.length)) throw new SyntaxError('--length must be a number of bytes');
    packet.length = Number(args.length);
  }
  return packet;
}
