import { causeMessage, UmdError, UmdErrorCode } from '@umd/core';
import { unwrapLoader } from '../loader/define-loader.js';
import type { Loader } from '../loader/loader-types.js';
import { debug } from '../observability/debug-log.js';
import type { UmdManagerOptions } from './manager-options.js';

/**
 * The driver's loader, imported on first use (the kernel's `request_module`) and forgotten on
 * `unload()`. Concurrent starts share one import; a failed import is tried again next time.
 */
export class LoaderSlot {
  readonly #name: string;
  readonly #source: UmdManagerOptions['loader'];
  readonly #loaded: (loader: Loader) => void;
  #loader: Loader | undefined;
  #loading: Promise<Loader> | undefined;

  /** `loaded(loader)` runs once per import (the `load` event). */
  constructor(name: string, source: UmdManagerOptions['loader'], loaded: (loader: Loader) => void) {
    this.#name = name;
    this.#source = source;
    this.#loaded = loaded;
  }

  /** The loader, if imported. */
  get loader(): Loader | undefined {
    return this.#loader;
  }

  /** An import under way, if any. */
  get loading(): Promise<Loader> | undefined {
    return this.#loading;
  }

  /** The loader, importing it first if needed. */
  load(): Promise<Loader> {
    if (this.#loader) return Promise.resolve(this.#loader);
    this.#loading ??= this.#import();
    const loading = this.#loading;
    loading.catch(() => {
      if (this.#loading === loading) this.#loading = undefined;
    });
    return loading;
  }

  /** Forgets the loader (the next load imports it again); returns it if there was one. */
  forget(): Loader | undefined {
    const loader = this.#loader;
    this.#loader = undefined;
    this.#loading = undefined;
    return loader;
  }

  async #import(): Promise<Loader> {
    const source = this.#source;
    let value: unknown;
    try {
      value = typeof source === 'function' ? await source() : source;
    } catch (cause) {
      throw new UmdError(
        UmdErrorCode.LOADER,
        `${this.#name}: cannot import the loader: ${causeMessage(cause)}`,
        { cause, handlerName: this.#name },
      );
    }
    const loader = unwrapLoader(value, this.#name);
    this.#loader = loader;
    debug('%s: loaded loader %s (%s, %s)', this.#name, loader.name, loader.kind, loader.mode);
    this.#loaded(loader);
    return loader;
  }
}
