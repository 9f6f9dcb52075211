import {
  checkObject,
  type RequestOptions,
  readingOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import {
  type ContractClient,
  contractClient,
  UmdManager,
  type UmdManagerOptions,
  waitForExit,
} from '@umd/mgmt';
import {
  DRIVER_NAME,
  EINVAL,
  encodeRequest,
  offsetProblem,
  REPLY_SIZE,
  replyProblem,
  SampleContract,
} from './contract.js';
import { type HandlerKind, handlers, isHandlerKind } from './handlers.js';

/** Options of {@link createSampleManager}: the handler to use, and any `UmdManager` option. */
export interface SampleManagerOptions extends Partial<UmdManagerOptions> {
  /** Which handler program serves the requests (`'ts'`). */
  handler?: HandlerKind;
}

/** Options of {@link SampleManager.check}: an `AbortSignal` and a timeout. */
export type CheckOptions = RequestOptions;

/** A request that went through and whose reply matched the contract. */
export interface CheckResult {
  /** The offset that was checked. */
  offset: number;
  /** Process id of the handler that answered. */
  pid: number | undefined;
}

/**
 * The host side of the driver: the front end that callers use, on top of a {@link UmdManager}.
 * `check(offset)` does what writing an offset to the securityfs file of the kernel's UMD
 * selftest did.
 */
export class SampleManager {
  /** The underlying manager: events, stats, `start()`, `stop()`, `unload()`. */
  readonly manager: UmdManager;
  /** Which handler program serves the requests. */
  readonly handler: HandlerKind;
  /** Typed requests through the driver's contract (framed handlers). */
  readonly #client: ContractClient<number, Uint8Array>;

  constructor(options: SampleManagerOptions = {}) {
    // Read once, getters included (a throwing one is UMD_INVALID_ARGUMENT): the manager gets the copy.
    const { handler = 'ts', ...managerOptions } = readingOptions(
      DRIVER_NAME,
      'its options',
      () => ({
        ...checkObject<SampleManagerOptions>(options, 'options', DRIVER_NAME),
      }),
    );
    if (!isHandlerKind(handler)) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `${DRIVER_NAME}: unknown handler ${JSON.stringify(handler)}`,
      );
    }
    this.handler = handler;
    this.manager = new UmdManager({
      name: `${DRIVER_NAME}-${handler}`,
      loader: handlers[handler].load,
      ...managerOptions,
    });
    this.#client = contractClient(this.manager, SampleContract);
  }

  /**
   * Sends `offset` to the handler and checks the reply: exactly {@link REPLY_SIZE} bytes, byte
   * `offset` set to 1, every other byte zero. An invalid offset is refused here (EINVAL) and
   * never sent. A reply that breaks the contract is a protocol error: the handler is killed,
   * so the next request gets a fresh one (fail-stop).
   *
   * @throws UmdError `UMD_INVALID_ARGUMENT` for an invalid offset; `UMD_PROTOCOL` for a wrong
   *   reply; any error of `UmdManager.request` (`UMD_HANDLER_EXITED`, `UMD_TIMEOUT`, ...).
   */
  async check(offset: number, options: CheckOptions = {}): Promise<CheckResult> {
    const problem = offsetProblem(offset);
    if (problem !== undefined) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `${DRIVER_NAME}: ${problem} (EINVAL, ${EINVAL})`,
        {
          handlerName: DRIVER_NAME,
        },
      );
    }
    const reply =
      handlers[this.handler].mode === 'raw'
        ? await this.manager.requestRaw(encodeRequest(offset), REPLY_SIZE, options)
        : await this.#client.request(offset, options);
    const pid = this.manager.pid;
    const wrong = replyProblem(offset, reply);
    if (wrong !== undefined) {
      if (pid !== undefined) await this.#replace(pid);
      throw new UmdError(
        UmdErrorCode.PROTOCOL,
        `${DRIVER_NAME}: the ${this.handler} handler broke the contract: ${wrong}`,
        {
          handlerName: DRIVER_NAME,
          ...(pid !== undefined ? { pid } : {}),
        },
      );
    }
    return { offset, pid };
  }

  /** Kills a handler that broke the contract and waits until the manager has seen it go, so the next request starts a fresh one. */
  async #replace(pid: number): Promise<void> {
    const gone = waitForExit(this.manager, pid);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone; the manager reports the exit all the same.
    }
    await gone;
  }

  /** Process id of the running handler, if one runs. */
  get pid(): number | undefined {
    return this.manager.pid;
  }

  /** Stops the handler (stdin closed, then SIGTERM, then SIGKILL); the next request starts it again. */
  stop(options?: { graceMs?: number }): Promise<void> {
    return this.manager.stop(options);
  }

  /** `await using sample = new SampleManager()`: {@link SampleManager.stop} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Stops the handler and forgets the loader: the next request imports it again. */
  unload(): Promise<void> {
    return this.manager.unload();
  }
}

/** Creates the driver's host-side manager. Nothing is loaded or started before the first `check`. */
export function createSampleManager(options: SampleManagerOptions = {}): SampleManager {
  return new SampleManager(options);
}
