import type { HandlerMode, Loader } from '@umd/mgmt';

/** How to reach one handler program: its protocol mode and its loader module, imported lazily. */
export interface HandlerEntry {
  /** `framed` handlers answer through `UmdManager.request`, `raw` ones through `requestRaw`. */
  readonly mode: HandlerMode;
  /** Imports the loader module on first use, as the kernel's `request_module` does. */
  readonly load: () => Promise<{ default: Loader }>;
}

const entries = {
  /** The TypeScript handler (framed mode), `src/handler/main.ts`. */
  ts: { mode: 'framed', load: () => import('./loaders/ts.js') },
  // #region sample-only
  /** The C handler (raw mode), `native/sample_handler.c`. */
  c: { mode: 'raw', load: () => import('./loaders/c.js') },
  // #endregion
} satisfies Record<string, HandlerEntry>;

/** Which handler program serves the requests. */
export type HandlerKind = keyof typeof entries;

/** The handler programs this driver ships, by name. */
export const handlers: Readonly<Record<HandlerKind, HandlerEntry>> = entries;

/** Every handler kind, in order. */
export const handlerKinds = Object.keys(handlers) as HandlerKind[];

/** True when `value` names a handler of this driver. */
export function isHandlerKind(value: string): value is HandlerKind {
  return Object.hasOwn(handlers, value);
}
