// Processes the bench starts itself, without a manager, in the environment the manager gives its
// handlers (by default: with its allocator settings): `node -e 0` and the bare native spawn of the
// cold starts, and the JS echo handler behind the bare FramedChannel the manager is compared with.
import { spawn } from 'node:child_process';
import { FramedChannel, openStdioSockets } from '@umd/core';
import { ENV_ALLOW_LIST, TUNED_ALLOCATOR_ENV, tunedNodeFlags } from '@umd/mgmt';

export const cleanEnv = { ...TUNED_ALLOCATOR_ENV, UMD_PROTOCOL: 'framed' };
for (const key of ENV_ALLOW_LIST)
  if (process.env[key] !== undefined) cleanEnv[key] = process.env[key];

const permission = process.allowedNodeEnvironmentFlags.has('--permission')
  ? '--permission'
  : '--experimental-permission';

/**
 * The JS `blob` spawned with the manager's flags (`nodeFlags`: its V8 tuning, `tunedNodeFlags()`,
 * unless given) and environment (`cleanEnv` plus `env`), behind a bare channel on the
 * manager's default transport (stdio sockets where the native helper works, else stdio pipes; its
 * stdout read directly by `fromChild`). Resolves
 * once HELLO arrived; `stop()` closes the channel and kills the handler.
 */
export async function startBareChannel(blob, nodeFlags = tunedNodeFlags(), env = {}) {
  const sockets = openStdioSockets('bare');
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      permission,
      `--allow-fs-read=${blob.file}`,
      '--disable-warning=ExperimentalWarning',
      blob.file,
    ],
    {
      env: { ...cleanEnv, ...env },
      stdio: [sockets?.handlerFds[0] ?? 'pipe', sockets?.handlerFds[1] ?? 'pipe', 'inherit'],
      detached: true,
    },
  );
  const channel = FramedChannel.fromChild(child, sockets ? { stdioSockets: sockets } : {});
  await channel.waitForHello();
  return {
    channel,
    pid: child.pid,
    stop() {
      channel.close();
      child.kill('SIGKILL');
    },
  };
}
