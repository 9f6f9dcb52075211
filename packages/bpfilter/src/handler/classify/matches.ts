/**
 * Matches compiled to closures, once per table: each answers MATCH, NO_MATCH or UNKNOWN for
 * a packet. tcp/udp/icmp come decoded in the model; the others arrive as raw bytes and are
 * decoded here by name (see `extension-matches.ts`); a name with no compiler, or data it
 * does not understand, stays UNKNOWN (the classification stops with CANNOT_EVALUATE).
 */
import type { Match } from '../../model/index.js';
import { compileExtensionMatch } from './extension-matches.js';
import { MATCH, type MatchFn, NO_MATCH, UNKNOWN } from './match-result.js';

/** A compiled match and the extension name it came from (for CANNOT_EVALUATE). */
export interface CompiledMatch {
  name: string;
  test: MatchFn;
}

const unknown: MatchFn = () => UNKNOWN;

const inRange = (range: [number, number] | undefined, value: number, inverted?: boolean) =>
  (range === undefined || (value >= range[0] && value <= range[1])) !== (inverted === true);

/** Compiles one match of a rule. */
export function compileMatch(match: Match): CompiledMatch {
  switch (match.kind) {
    case 'tcp': {
      const inv = match.invert ?? {};
      const { sourcePorts: sp, destinationPorts: dp } = match;
      const mask = match.flags?.mask ?? 0;
      const compare = match.flags?.compare ?? 0;
      const option = match.option ?? 0;
      const optionBit = option < 32 ? 2 ** option : 0;
      return {
        name: 'tcp',
        test: (p) => {
          if (p.fragment) return NO_MATCH; // no transport header in a non-first fragment
          if (!inRange(sp, p.sourcePort, inv.sourcePorts)) return NO_MATCH;
          if (!inRange(dp, p.destinationPort, inv.destinationPorts)) return NO_MATCH;
          if (((p.tcpFlags & mask) === compare) === (inv.flags === true)) return NO_MATCH;
          if (option !== 0) {
            const present =
              optionBit !== 0 ? (p.tcpOptionBits & optionBit) !== 0 : p.tcpOptions.includes(option);
            if (present === (inv.option === true)) return NO_MATCH;
          }
          return MATCH;
        },
      };
    }
    case 'udp': {
      const inv = match.invert ?? {};
      const { sourcePorts: sp, destinationPorts: dp } = match;
      return {
        name: 'udp',
        test: (p) =>
          !p.fragment &&
          inRange(sp, p.sourcePort, inv.sourcePorts) &&
          inRange(dp, p.destinationPort, inv.destinationPorts)
            ? MATCH
            : NO_MATCH,
      };
    }
    case 'icmp': {
      const [min, max] = match.code ?? [0, 255];
      const { type } = match;
      const inverted = match.invert === true;
      return {
        name: 'icmp',
        test: (p) => {
          if (p.fragment) return NO_MATCH;
          const hit =
            type === 0xff || (p.icmpType === type && p.icmpCode >= min && p.icmpCode <= max);
          return hit !== inverted ? MATCH : NO_MATCH;
        },
      };
    }
    case 'raw':
      return {
        name: match.name,
        test: compileExtensionMatch(match.name, match.revision, match.data) ?? unknown,
      };
  }
}
