import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels published by every `UmdManager`. Subscribe with
 * `diagnostics_channel.subscribe(name, fn)`; each message carries `manager` (its name).
 */
export const DiagnosticsChannels = {
  /** `{ manager, pid }`: a handler process was spawned. */
  start: 'umd:mgmt:start',
  /** `{ manager, pid, hello }`: a handler finished HELLO and postStart and takes requests. */
  ready: 'umd:mgmt:ready',
  /** `{ manager, pid, exitCode, signal, expected }`: a handler exited. */
  exit: 'umd:mgmt:exit',
  /** `{ manager, bytes }`: a request was admitted. */
  requestStart: 'umd:mgmt:request:start',
  /** `{ manager, bytes, durationMs, error }`: a request settled (`error` is the UmdError, or undefined). */
  requestEnd: 'umd:mgmt:request:end',
  /** `{ manager, error }`: a fault or failed start (the same error as the `error` event). */
  error: 'umd:mgmt:error',
} as const;

/** The channel objects, created once. */
export const channels = {
  start: diagnosticsChannel.channel(DiagnosticsChannels.start),
  ready: diagnosticsChannel.channel(DiagnosticsChannels.ready),
  exit: diagnosticsChannel.channel(DiagnosticsChannels.exit),
  requestStart: diagnosticsChannel.channel(DiagnosticsChannels.requestStart),
  requestEnd: diagnosticsChannel.channel(DiagnosticsChannels.requestEnd),
  error: diagnosticsChannel.channel(DiagnosticsChannels.error),
};
