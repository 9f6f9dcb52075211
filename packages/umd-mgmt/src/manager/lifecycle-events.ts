import type { EventEmitter } from 'node:events';
import type { Hello, UmdError } from '@umd/core';
import { debug } from '../observability/debug-log.js';
import { channels } from '../observability/diagnostics.js';
import type { ContainmentKind } from '../process/containment.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { UmdExitEvent, UmdManagerEvents } from './manager-types.js';

/**
 * What the lifecycle tells the world about a handler: the manager's events, their
 * `node:diagnostics_channel` twins, the start and restart counters and the debug log.
 */
export class LifecycleEvents {
  readonly #name: string;
  readonly #emitter: EventEmitter<UmdManagerEvents>;
  readonly #metrics: ManagerMetrics;

  constructor(name: string, emitter: EventEmitter<UmdManagerEvents>, metrics: ManagerMetrics) {
    this.#name = name;
    this.#emitter = emitter;
    this.#metrics = metrics;
  }

  /** A handler process was spawned; `previousPid` is set when it replaces one that failed. */
  started(pid: number, restartOf: { previousPid: number | undefined } | undefined): void {
    this.#metrics.counters.starts++;
    if (channels.start.hasSubscribers) channels.start.publish({ manager: this.#name, pid });
    this.#emitter.emit('start', { pid });
    if (restartOf === undefined) return;
    this.#metrics.counters.restarts++;
    this.#emitter.emit('restart', { pid, previousPid: restartOf.previousPid });
  }

  /** The handler said HELLO and passed `postStart`. */
  ready(pid: number, hello: Hello | undefined, containment: ContainmentKind): void {
    debug('%s: handler pid %d ready', this.#name, pid);
    if (channels.ready.hasSubscribers) channels.ready.publish({ manager: this.#name, pid, hello });
    this.#emitter.emit('ready', { pid, hello, containment });
  }

  /** The handler process is gone. */
  exited(event: UmdExitEvent): void {
    debug('%s: exit %o', this.#name, event);
    if (channels.exit.hasSubscribers) channels.exit.publish({ manager: this.#name, ...event });
    this.#emitter.emit('exit', event);
  }

  /** A fault or failed start (`error` event only when someone listens). */
  error(error: UmdError): void {
    if (channels.error.hasSubscribers) channels.error.publish({ manager: this.#name, error });
    if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', error);
  }
}
