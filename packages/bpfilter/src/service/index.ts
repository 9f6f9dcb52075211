/**
 * The iptables service: `serve()` (a Unix socket in front of one bpfilter front end, for the
 * preload library), `exec()` (run a program with the preload), a client for other processes,
 * and the CLI's `serve`/`exec` subcommands.
 */
export type { BackendReply, ServiceBackend } from './backend.js';
export { connectService, type ServiceClient, type ServiceReply } from './client.js';
export { runExecCommand, runServeCommand, SERVICE_USAGE } from './commands.js';
export {
  createDefaultBackend,
  type DefaultBackendOptions,
  type SockoptBackend,
} from './default-backend.js';
export { exec, preloadEnvironment, type ExecOptions, type ExecResult } from './exec.js';
export { preloadLibraryPath, requirePreloadLibrary } from './preload-path.js';
export {
  BPFILTER_SOCKET_ENV,
  SERVICE_CMD_TABLE_NAMES,
  SERVICE_MAX_PAYLOAD,
  SERVICE_NAME,
} from './protocol.js';
export { serve, type BpfilterService, type ServeOptions } from './server.js';
