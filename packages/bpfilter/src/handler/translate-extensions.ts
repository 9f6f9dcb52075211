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
import { refuse } from './translate-refusal.js';

/** Checks every match and the target of the entry at `at` (its `comefrom` already set). */
export function checkExtensions(
  blob: EntryBlob,
  at: number,
  where: string,
  table: string,
  env: CheckEnvironment,
): void {
  const entries = blob.bytes;
  const targetAt = blob.targetAt(at);
  const rule = {
    proto: blob.proto(at),
    invflags: blob.invflags(at),
    hookMask: blob.comefrom(at),
    table,
    env,
    matches: [] as RuleMatch[],
  };
  const objects: { kind: 'match' | 'target'; pos: number }[] = [];
  for (let pos = at + IPT_ENTRY_SIZE; pos < targetAt; ) {
    const header = decodeXtHeader(entries, pos);
    const data = entries.subarray(pos + XT_OBJECT_HEADER_SIZE, pos + header.size);
    rule.matches.push({ name: header.name, revision: header.revision, data });
    objects.push({ kind: 'match', pos });
    pos += header.size;
  }
  objects.push({ kind: 'target', pos: targetAt });
  for (const object of objects) {
    const header = decodeXtHeader(entries, object.pos);
    const data = entries.subarray(object.pos + XT_OBJECT_HEADER_SIZE, object.pos + header.size);
    const spec = (object.kind === 'match' ? MATCHES : TARGETS).get(header.name);
    checkExtension(object.kind, spec, header, { ...rule, data, revision: header.revision }, where);
  }
}

/** `xt_check_match` / `xt_check_target`: size, table, hooks, protocol, then checkentry. */
function checkExtension(
  kind: 'match' | 'target',
  spec: ExtensionSpec | undefined,
  header: { size: number; name: string; revision: number },
  ctx: CheckContext,
  where: string,
): void {
  const label = `${where}: ${kind} "${header.name}" revision ${header.revision}`;
  if (!spec) refuse(Errno.ENOENT, `${label}: no such ${kind}`);
  // The kernel's lookup falls back to NFPROTO_UNSPEC, whose "not found" wins: ENOENT (measured).
  const size = spec.sizes[header.revision];
  if (size === undefined)
    refuse(Errno.ENOENT, `${label}: revision not supported (have ${revisionsOf(spec).join(', ')})`);
  if (size !== null && xtAlign(size) !== header.size - XT_OBJECT_HEADER_SIZE) {
    refuse(
      Errno.EINVAL,
      `${label}: data size ${header.size - XT_OBJECT_HEADER_SIZE} != ${xtAlign(size)}`,
    );
  }
  if (spec.table !== undefined && spec.table !== ctx.table)
    refuse(Errno.EINVAL, `${label}: only valid in table "${spec.table}"`);
  if (spec.hooks !== undefined && ctx.hookMask & ~spec.hooks)
    refuse(
      Errno.EINVAL,
      `${label}: used from hook mask 0x${ctx.hookMask.toString(16)}, valid only in 0x${spec.hooks.toString(16)}`,
    );
  if (spec.proto !== undefined && (spec.proto !== ctx.proto || ctx.invflags & IPT_INV_PROTO))
    refuse(
      Errno.EINVAL,
      `${label}: needs protocol ${spec.proto} (not inverted), rule has ${ctx.proto}`,
    );
  const problem = spec.check?.(ctx);
  if (typeof problem === 'string') refuse(Errno.EINVAL, `${label}: ${problem}`);
  if (problem) refuse(problem.errno, `${label}: ${problem.message}`);
}
