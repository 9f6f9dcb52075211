import type { EventEmitter } from 'node:events';
import type { Hello, UmdError } from '@umd/core';
import type { UmdExitEvent } from '../manager/manager-types.js';
import type { UmdManager } from '../manager/umd-manager.js';

/** Events of a `UmdPool`: each instance's manager events, with the instance's index. */
export interface UmdPoolEvents {
  load: [{ name: string; instance: number }];
  unload: [{ name: string; instance: number }];
  start: [{ pid: number; instance: number }];
  ready: [{ pid: number; hello: Hello | undefined; instance: number }];
  exit: [UmdExitEvent & { instance: number }];
  restart: [{ pid: number; previousPid: number | undefined; instance: number }];
  idle: [{ pid: number; instance: number }];
  stderr: [line: string, pid: number, instance: number];
  error: [error: UmdError, instance: number];
}

/** Re-emits `manager`'s events on `pool`, with the instance's index. */
export function forwardEvents(
  manager: UmdManager,
  instance: number,
  pool: EventEmitter<UmdPoolEvents>,
): void {
  for (const event of ['load', 'unload', 'start', 'ready', 'exit', 'restart', 'idle'] as const) {
    manager.on(event, (info: object) => {
      (pool.emit as (e: string, arg: object) => boolean).call(pool, event, { ...info, instance });
    });
  }
  manager.on('stderr', (line, pid) => pool.emit('stderr', line, pid, instance));
  // Only when someone listens: an unobserved fault must not throw in the host.
  manager.on('error', (error) => {
    if (pool.listenerCount('error') > 0) pool.emit('error', error, instance);
  });
}
