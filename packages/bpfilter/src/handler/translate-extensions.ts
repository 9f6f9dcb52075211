/**
 * `find_check_entry`: each match and the target of an entry exist in that revision and pass
 * `xt_check_match` / `xt_check_target` (size, table, hooks, protocol) and their checkentry.
 */
import {
  type EntryBlob,
  Errno,
  IPT_ENTRY_SIZE,
  IPT_INV_PROTO,
  readU16,
  XT_OBJECT_HEADER_SIZE,
  xtAlign,
  objectName,
  objectRevision,
} from '../abi/index.js';
import type { CheckContext, CheckEnvironment, RuleMatch } from './extension-spec.js';
import { type ExtensionSpec, MATCHES, revisionsOf, TARGETS } from './extensions.js';
import { type EntryPlace, refuse } from './translate-refusal.js';

/** Checks every match and the target of the entry at `at` (its `comefrom` already set). */
export function checkExtensions(
  blob: EntryBlob,
  at: number,
  where: EntryPlace,
  table: string,
  env: CheckEnvironment,
): void {
  const entries = blob.bytes;
  const targetAt = blob.targetAt(at);
  // Each match read once and kept for the checks: a target's check may look at every match
  // of its rule (TCPMSS looks for a SYN match). The walk has checked that each lies inside
  // the entry.
  let matches: RuleMatch[] = NO_MATCHES;
  for (let pos = at + IPT_ENTRY_SIZE; pos < targetAt; pos += readU16(entries, pos)) {
    if (matches === NO_MATCHES) matches = [];
    matches.push({
      name: objectName(entries, pos),
      revision: objectRevision(entries, pos),
      data: entries.subarray(pos + XT_OBJECT_HEADER_SIZE, pos + readU16(entries, pos)),
    });
  }
  const rule: RuleFacts = {
    proto: blob.proto(at),
    invflags: blob.invflags(at),
    hookMask: blob.comefrom(at),
    table,
    env,
    matches,
  };
  for (const match of matches) {
    const spec = checkExtension('match', MATCHES, match, match.data.length, rule, where);
    if (spec.check) runCheck('match', spec, match, match.data, rule, where);
  }
  const target: ExtensionHeader = {
    name: objectName(entries, targetAt),
    revision: objectRevision(entries, targetAt),
  };
  const size = readU16(entries, targetAt);
  const spec = checkExtension('target', TARGETS, target, size - XT_OBJECT_HEADER_SIZE, rule, where);
  // Its data only for a check that reads it (the standard and ERROR targets have none).
  if (spec.check) {
    const data = entries.subarray(targetAt + XT_OBJECT_HEADER_SIZE, targetAt + size);
    runCheck('target', spec, target, data, rule, where);
  }
}

/** A rule without matches shares this list (no check writes to it). */
const NO_MATCHES: RuleMatch[] = [];

/** An extension's name and revision, from its header. */
interface ExtensionHeader {
  name: string;
  revision: number;
}

/** What every check of a rule sees of it, whichever extension it checks. */
type RuleFacts = Omit<CheckContext, 'data' | 'revision'>;

/**
 * `xt_check_match` / `xt_check_target` up to checkentry: the extension exists in that
 * revision, its data size, table, hooks and protocol. Returns its spec.
 */
function checkExtension(
  kind: 'match' | 'target',
  registry: ReadonlyMap<string, ExtensionSpec>,
  header: ExtensionHeader,
  dataSize: number,
  rule: RuleFacts,
  where: EntryPlace,
): ExtensionSpec {
  const spec = registry.get(header.name);
  if (!spec) refuse(Errno.ENOENT, `${label(kind, header, where)}: no such ${kind}`);
  // The kernel's lookup falls back to NFPROTO_UNSPEC, whose answer wins: EPROTOTYPE if the
  // name is in that family's list (other revisions only), else ENOENT (measured).
  const size = spec.sizes[header.revision];
  if (size === undefined)
    refuse(
      spec.familyIndependent ? Errno.EPROTOTYPE : Errno.ENOENT,
      `${label(kind, header, where)}: revision not supported (have ${revisionsOf(spec).join(', ')})`,
    );
  if (size !== null && xtAlign(size) !== dataSize)
    refuse(
      Errno.EINVAL,
      `${label(kind, header, where)}: data size ${dataSize} != ${xtAlign(size)}`,
    );
  if (spec.table !== undefined && spec.table !== rule.table)
    refuse(Errno.EINVAL, `${label(kind, header, where)}: only valid in table "${spec.table}"`);
  if (spec.hooks !== undefined && rule.hookMask & ~spec.hooks)
    refuse(
      Errno.EINVAL,
      `${label(kind, header, where)}: used from hook mask 0x${rule.hookMask.toString(16)}, valid only in 0x${spec.hooks.toString(16)}`,
    );
  if (spec.proto !== undefined && (spec.proto !== rule.proto || rule.invflags & IPT_INV_PROTO))
    refuse(
      Errno.EINVAL,
      `${label(kind, header, where)}: needs protocol ${spec.proto} (not inverted), rule has ${rule.proto}`,
    );
  return spec;
}

/**
 * The extension's checkentry, on a context of one shape (built field by field: a spread of the
 * rule's fields per object made this the slowest step of a large table's check).
 */
function runCheck(
  kind: 'match' | 'target',
  spec: ExtensionSpec,
  header: ExtensionHeader,
  data: Uint8Array,
  rule: RuleFacts,
  where: EntryPlace,
): void {
  const { proto, invflags, hookMask, table, env, matches } = rule;
  const { revision } = header;
  const problem = spec.check?.({ proto, invflags, hookMask, table, env, matches, data, revision });
  if (typeof problem === 'string')
    refuse(Errno.EINVAL, `${label(kind, header, where)}: ${problem}`);
  if (problem) refuse(problem.errno, `${label(kind, header, where)}: ${problem.message}`);
}

/** What a refusal names: where the extension is and which it is (written out only then). */
function label(kind: 'match' | 'target', header: ExtensionHeader, where: EntryPlace): string {
  return `${where}: ${kind} "${header.name}" revision ${header.revision}`;
}
