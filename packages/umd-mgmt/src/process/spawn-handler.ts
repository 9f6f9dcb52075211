/**
 * Spawning a handler: its command line for its loader, planned under its containment, spawned
 * without a shell in its own session and process group, and running (spawn-child.ts retries a
 * busy executable). What happens after, until it exits, is handler-process.ts's.
 */
import type { ChildProcess } from 'node:child_process';
import type { Loader } from '../loader/loader-types.js';
import type { StagedBlob } from './blob-stage.js';
import { type Credentials, planSpawn, type SpawnPlan } from './containment.js';
import { jsHandlerArgs } from './debug-flags.js';
import type { HandlerStdio } from './handler-stdio.js';
import type { SandboxOptions } from './node-flags.js';
import { spawnRunning } from './spawn-child.js';
import { startFailed } from './start-failed.js';

/** What {@link spawnHandler} runs: the staged blob, its stdio, whom as and with what. */
export interface SpawnRequest {
  loader: Loader;
  staged: StagedBlob;
  stdio: HandlerStdio;
  sandbox: SandboxOptions;
  credentials: Credentials | undefined;
  env: NodeJS.ProcessEnv;
  /** `tunedNodeFlags()` for a JS handler. */
  tuned: boolean;
}

/**
 * Spawns the handler and resolves once it runs, with the plan it ran under.
 * @throws UmdError `UMD_START_FAILED` when no plan fits the containment asked for, or the spawn fails.
 */
export async function spawnHandler(request: SpawnRequest): Promise<{
  child: ChildProcess;
  plan: SpawnPlan;
}> {
  const { loader, staged, stdio, sandbox, credentials, env, tuned } = request;
  const [command, args] =
    loader.kind === 'js'
      ? [
          process.execPath,
          [...jsHandlerArgs(staged.file, sandbox, loader.nodeFlags, tuned), ...loader.args],
        ]
      : [staged.file, [...loader.args]];
  let plan: SpawnPlan;
  try {
    plan = await planSpawn(
      command,
      args,
      sandbox.containment ?? 'auto',
      credentials,
      sandbox.bubblewrap === true ? { privateDir: staged.dir } : undefined,
    );
  } catch (cause) {
    throw startFailed(loader, undefined, cause);
  }
  const ids = plan.spawnCredentials;
  try {
    const child = await spawnRunning(plan.file, plan.args, {
      stdio: stdio.stdio,
      env,
      cwd: '/',
      detached: true, // own session and process group: stop() signals the whole group
      shell: false,
      windowsHide: true,
      ...(ids !== undefined ? { uid: ids.uid, gid: ids.gid } : {}),
    });
    return { child, plan };
  } catch (error) {
    throw startFailed(loader, 'cannot spawn handler', error);
  }
}
