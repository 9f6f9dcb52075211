/**
 * The extensions the handler knows: the revisions a current Linux kernel registers for IPv4
 * (measured on 6.18 with GET_REVISION_MATCH/TARGET, revisions 0..7, for every extension
 * Debian's iptables 1.8.9 ships; CLUSTERIP, LED, ULOG, ipvs are absent there too), with the
 * kernel's data sizes and checks (`extension-matches.ts`, `extension-targets.ts`).
 */
import { Errno } from '../abi/index.js';
import { revisionsOf, type ExtensionSpec } from './extension-spec.js';
import { MATCHES } from './extension-matches.js';
import { TARGETS } from './extension-targets.js';

export { MATCHES, TARGETS, revisionsOf, type ExtensionSpec };

/**
 * The kernel's `xt_find_revision` answer: 0 if that revision exists, -EPROTONOSUPPORT if
 * the extension exists in other revisions only, -ENOENT if it is unknown.
 */
export function revisionStatus(kind: 'match' | 'target', name: string, revision: number): number {
  const spec = (kind === 'match' ? MATCHES : TARGETS).get(name);
  if (!spec) return -Errno.ENOENT;
  return revision in spec.sizes ? 0 : -Errno.EPROTONOSUPPORT;
}

/** The extension's {@link ExtensionSpec.keptData}, if it has one. */
export function keptDataOf(
  kind: 'match' | 'target',
  name: string,
): ((data: Uint8Array, revision: number) => void) | undefined {
  return (kind === 'match' ? MATCHES : TARGETS).get(name)?.keptData;
}

/** How much of one revision's data GET_ENTRIES copies back (its usersize, else its size), or undefined if not known. */
export function copiedSizeOf(
  kind: 'match' | 'target',
  name: string,
  revision: number,
): number | undefined {
  const spec = (kind === 'match' ? MATCHES : TARGETS).get(name);
  return spec?.userSizes?.[revision] ?? spec?.sizes[revision] ?? undefined;
}

/** The kernel's data size of one revision (before XT_ALIGN), or undefined if not known. */
export function dataSizeOf(
  kind: 'match' | 'target',
  name: string,
  revision: number,
): number | undefined {
  return (kind === 'match' ? MATCHES : TARGETS).get(name)?.sizes[revision] ?? undefined;
}
