/**
 * `find_check_entry`: each match and the target of an entry exist in that revision and pass
 * `xt_check_match` / `xt_check_target` (size, table, hooks, protocol) and their checkentry.
 */
import {
  decodeXtHeader,
  type EntryBlob,
  Errno,
  IPT_ENTRY_SIZE,
  IPT_INV_PROTO,
  XT_OBJECT_HEADER_SIZE,
  xtAlign,
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
  const proto = blob.proto(at);
  const invflags = blob.invflags(at);
  const hookMask = blob.comefrom(at);
  const headers: XtHeader[] = [];
  const matches: RuleMatch[] = [];
  for (let pos = at + IPT_ENTRY_SIZE; pos < targetAt; ) {
    const header = decodeXtHeader(entries, pos);
    headers.push(header);
    matches.push({
      name: header.name,
      revision: header.revision,
      data: dataOf(entries, pos, header),
    });
    pos += header.size;
  }
  // Every check gets a context of one shape, built field by field: a spread of the rule's
  // fields per object made this the slowest step of a large table's check.
  const context = (data: Uint8Array, revision: number): CheckContext => ({
    proto,
    invflags,
    hookMask,
    table,
    env,
    matches,
    data,
    revision,
  });
  headers.forEach((header, i) => {
    const { data } = matches[i]!;
    checkExtension(
      'match',
      MATCHES.get(header.name),
      header,
      context(data, header.revision),
      where,
    );
  });
  const target = decodeXtHeader(entries, targetAt);
  const data = dataOf(entries, targetAt, target);
  checkExtension('target', TARGETS.get(target.name), target, context(data, target.revision), where);
}

interface XtHeader {
  size: number;
  name: string;
  revision: number;
}

function dataOf(entries: Uint8Array, at: number, header: XtHeader): Uint8Array {
  return entries.subarray(at + XT_OBJECT_HEADER_SIZE, at + header.size);
}

/** `xt_check_match` / `xt_check_target`: size, table, hooks, protocol, then checkentry. */
function checkExtension(
  kind: 'match' | 'target',
  spec: ExtensionSpec | undefined,
  header: { size: number; name: string; revision: number },
  ctx: CheckContext,
  where: EntryPlace,
): void {
  // Written out only when a check refuses.
  const label = () => `${where}: ${kind} "${header.name}" revision ${header.revision}`;
  if (!spec) refuse(Errno.ENOENT, `${label()}: no such ${kind}`);
  // The kernel's lookup falls back to NFPROTO_UNSPEC, whose answer wins: EPROTOTYPE if the
  // name is in that family's list (other revisions only), else ENOENT (measured).
  const size = spec.sizes[header.revision];
  if (size === undefined)
    refuse(
      spec.familyIndependent ? Errno.EPROTOTYPE : Errno.ENOENT,
      `${label()}: revision not supported (have ${revisionsOf(spec).join(', ')})`,
    );
  if (size !== null && xtAlign(size) !== header.size - XT_OBJECT_HEADER_SIZE) {
    refuse(
      Errno.EINVAL,
      `${label()}: data size ${header.size - XT_OBJECT_HEADER_SIZE} != ${xtAlign(size)}`,
    );
  }
  if (spec.table !== undefined && spec.table !== ctx.table)
    refuse(Errno.EINVAL, `${label()}: only valid in table "${spec.table}"`);
  if (spec.hooks !== undefined && ctx.hookMask & ~spec.hooks)
    refuse(
      Errno.EINVAL,
      `${label()}: used from hook mask 0x${ctx.hookMask.toString(16)}, valid only in 0x${spec.hooks.toString(16)}`,
    );
  if (spec.proto !== undefined && (spec.proto !== ctx.proto || ctx.invflags & IPT_INV_PROTO))
    refuse(
      Errno.EINVAL,
      `${label()}: needs protocol ${spec.proto} (not inverted), rule has ${ctx.proto}`,
    );
  const problem = spec.check?.(ctx);
  if (typeof problem === 'string') refuse(Errno.EINVAL, `${label()}: ${problem}`);
  if (problem) refuse(problem.errno, `${label()}: ${problem.message}`);
}
