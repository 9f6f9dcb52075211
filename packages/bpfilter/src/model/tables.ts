/** The IPv4 tables bpfilter serves and the hooks (built-in chains) of each. */
import {
  HOOK_NAMES,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_NUMHOOKS,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
  type HookName,
} from '../abi/index.js';

const bit = (hook: number) => 1 << hook;

/** Table name -> `valid_hooks` bitmask. */
export const TABLE_HOOKS: ReadonlyMap<string, number> = new Map([
  ['filter', bit(NF_INET_LOCAL_IN) | bit(NF_INET_FORWARD) | bit(NF_INET_LOCAL_OUT)],
  [
    'mangle',
    bit(NF_INET_PRE_ROUTING) |
      bit(NF_INET_LOCAL_IN) |
      bit(NF_INET_FORWARD) |
      bit(NF_INET_LOCAL_OUT) |
      bit(NF_INET_POST_ROUTING),
  ],
  ['raw', bit(NF_INET_PRE_ROUTING) | bit(NF_INET_LOCAL_OUT)],
  [
    'nat',
    bit(NF_INET_PRE_ROUTING) |
      bit(NF_INET_LOCAL_IN) |
      bit(NF_INET_LOCAL_OUT) |
      bit(NF_INET_POST_ROUTING),
  ],
  ['security', bit(NF_INET_LOCAL_IN) | bit(NF_INET_FORWARD) | bit(NF_INET_LOCAL_OUT)],
]);

/** The built-in chain names of a `valid_hooks` mask, in hook order. */
export function builtinChains(validHooks: number): HookName[] {
  const out: HookName[] = [];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++)
    if (validHooks & bit(h)) out.push(HOOK_NAMES[h] as HookName);
  return out;
}

/** Hook number of a built-in chain name, or undefined. */
export function hookOf(chain: string): number | undefined {
  const index = (HOOK_NAMES as readonly string[]).indexOf(chain);
  return index < 0 ? undefined : index;
}
