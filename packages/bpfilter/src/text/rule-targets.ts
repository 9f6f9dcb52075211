/** The targets of a rule's text (`-j`, `-g`) and their options, for `parse-rule.ts`. */
import { REJECT_WITH, type RejectWith } from '../abi/index.js';
import type { LogTarget, Rule, StandardVerdict } from '../model/types.js';
import { LOG_DEFAULT_LEVEL } from './log-options.js';

const VERDICTS: readonly StandardVerdict[] = ['ACCEPT', 'DROP', 'QUEUE', 'RETURN'];
// iptables' short names for --reject-with, beside the full ones it prints.
const REJECT_ALIASES: Readonly<Record<string, RejectWith>> = {
  'net-unreach': 'icmp-net-unreachable',
  'host-unreach': 'icmp-host-unreachable',
  'proto-unreach': 'icmp-proto-unreachable',
  'port-unreach': 'icmp-port-unreachable',
  'net-prohib': 'icmp-net-prohibited',
  'host-prohib': 'icmp-host-prohibited',
  'admin-prohib': 'icmp-admin-prohibited',
  'tcp-rst': 'tcp-reset',
};

/** The target `-j NAME` (or `-g NAME` with `isGoto`) names, with its options' defaults. */
export function parseTarget(name: string, isGoto: boolean): Rule['target'] {
  if (isGoto) return { kind: 'goto', chain: name };
  if ((VERDICTS as readonly string[]).includes(name))
    return { kind: 'verdict', verdict: name as StandardVerdict };
  if (name === 'REJECT') return { kind: 'reject', with: 'icmp-port-unreachable' };
  if (name === 'LOG') return { kind: 'log', level: LOG_DEFAULT_LEVEL, prefix: '', flags: 0 };
  return { kind: 'jump', chain: name };
}

/** The rule's LOG target, which `option` needs. */
export function logTarget(target: Rule['target'] | undefined, option: string): LogTarget {
  if (target?.kind !== 'log') throw new SyntaxError(`${option} needs -j LOG`);
  return target;
}

/** The value of `--reject-with NAME`, by its full name or iptables' short one. */
export function parseRejectWith(name: string): RejectWith {
  const known = (REJECT_WITH as readonly string[]).includes(name)
    ? (name as RejectWith)
    : REJECT_ALIASES[name];
  if (!known) throw new SyntaxError(`unknown --reject-with "${name}"`);
  return known;
}
