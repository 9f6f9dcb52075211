import { nodeArgsFor, type SandboxOptions, tunedNodeFlags } from './node-flags.js';

/**
 * Node options a loader may pass to its JS handler (`nodeFlags`): debugging aids that widen
 * no part of the sandbox. Anything else (`--require`, `--import`, `--allow-*`, `--expose-*`,
 * an inspector on a public address...) is refused: a flag could otherwise load code the
 * digest never covered or open the handler to the network.
 */
const ALLOWED: readonly RegExp[] = [
  /^--enable-source-maps$/,
  // The inspector on the loopback only: host:port, [::1]:port or a port.
  /^--inspect(?:-brk|-wait)?(?:=(?:(?:127\.0\.0\.1|localhost|\[::1\]):)?\d{1,5})?$/,
  /^--trace-(?:warnings|uncaught|deprecation|exit)$/,
  /^--stack-trace-limit=\d{1,4}$/,
];

/** What is wrong with a loader's `nodeFlags`, or `undefined` when every flag is allowed. */
export function nodeFlagsProblem(flags: unknown): string | undefined {
  if (!Array.isArray(flags) || !flags.every((flag) => typeof flag === 'string'))
    return 'nodeFlags must be an array of strings';
  const refused = flags.find((flag) => !ALLOWED.some((allowed) => allowed.test(flag)));
  if (refused !== undefined)
    return `nodeFlags: ${JSON.stringify(refused)} is not allowed (allowed: --enable-source-maps, --inspect[-brk|-wait][=[127.0.0.1:|localhost:|[::1]:]port], --trace-warnings, --trace-uncaught, --trace-deprecation, --trace-exit, --stack-trace-limit=N)`;
  return undefined;
}

/**
 * The whole Node command line of a JS handler: the manager's V8 tuning (`tuned`:
 * {@link tunedNodeFlags}), the loader's debugging flags, then the sandbox's flags and the blob.
 * Node's permission model turns the inspector off without a word, so asking for both fails the
 * start instead of waiting for a debugger that never comes.
 */
export function jsHandlerArgs(
  blobPath: string,
  sandbox: SandboxOptions,
  nodeFlags: readonly string[],
  tuned = true,
): string[] {
  if (sandbox.permission !== false && nodeFlags.some((flag) => flag.startsWith('--inspect')))
    throw new Error(
      `${nodeFlags.find((flag) => flag.startsWith('--inspect'))} needs sandbox.permission = false: Node's permission model disables the inspector`,
    );
  return [...(tuned ? tunedNodeFlags() : []), ...nodeFlags, ...nodeArgsFor(blobPath, sandbox)];
}
