/** `bpfilter classify` options -> the packet description CLASSIFY takes. */
import { optionValue, UsageError } from '@umd/core/cli';
import { HOOK_NAMES, parseIpv4 } from '../abi/index.js';
import type { PacketDescription } from '../api/classify-types.js';
import { parseIcmpType } from '../text/icmp-types.js';
import { parseProtocol } from '../text/protocols.js';
import { parseTcpFlags } from '../text/tcp-flags.js';

/** The `classify` options as parsed from the command line (strings). */
export interface ClassifyArgs {
  hook?: string;
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
  /** `IF=A.B.C.D`, repeatable: interface addresses (what MASQUERADE and REDIRECT use). */
  'if-addr'?: string[];
}

function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 0xffff)
    throw new RangeError(`"${text}" is not a port number 0..65535`);
  return Number(text);
}

function address(text: string): string {
  parseIpv4(text); // the handler's own check, so that a bad address is refused here, by flag
  return text;
}

/** The `--hook` of a classify; throws a `UsageError` when missing or not a hook name. */
export function hookFromArgs(args: ClassifyArgs): string {
  const hooks = HOOK_NAMES.join(', ');
  if (args.hook === undefined) throw new UsageError(`classify: --hook is required (${hooks})`);
  if (!(HOOK_NAMES as readonly string[]).includes(args.hook))
    throw new UsageError(`--hook: "${args.hook}" is not one of ${hooks}`);
  return args.hook;
}

/** Builds the packet; throws a `UsageError` naming the option at fault. */
export function packetFromArgs(args: ClassifyArgs): PacketDescription {
  if (args.src === undefined || args.dst === undefined)
    throw new UsageError('classify: --src and --dst are required');
  const packet: PacketDescription = {
    source: optionValue('--src', args.src, address),
    destination: optionValue('--dst', args.dst, address),
  };
  if (args.proto !== undefined) packet.protocol = optionValue('--proto', args.proto, parseProtocol);
  if (args.sport !== undefined) packet.sourcePort = optionValue('--sport', args.sport, port);
  if (args.dport !== undefined) packet.destinationPort = optionValue('--dport', args.dport, port);
  if (args.in !== undefined) packet.inInterface = args.in;
  if (args.out !== undefined) packet.outInterface = args.out;
  if (args['tcp-flags'] !== undefined)
    packet.tcpFlags = optionValue('--tcp-flags', args['tcp-flags'], parseTcpFlags);
  if (args['icmp-type'] !== undefined) {
    const spec = optionValue('--icmp-type', args['icmp-type'], parseIcmpType);
    packet.icmpType = spec.type;
    packet.icmpCode = spec.codeMin;
  }
  if (args.fragment) packet.fragment = true;
  if (args.length !== undefined)
    packet.length = optionValue('--length', args.length, (text) => {
      if (!/^\d{1,9}$/.test(text)) throw new RangeError(`"${text}" is not a number of bytes`);
      return Number(text);
    });
  if (args['if-addr'] !== undefined) {
    const addresses: Record<string, string> = {};
    for (const spec of args['if-addr'])
      optionValue('--if-addr', spec, (text) => {
        const at = text.indexOf('=');
        if (at <= 0 || at > 15) throw new RangeError(`"${text}" is not IF=A.B.C.D`);
        addresses[text.slice(0, at)] = address(text.slice(at + 1));
      });
    packet.interfaceAddresses = addresses;
  }
  return packet;
}
