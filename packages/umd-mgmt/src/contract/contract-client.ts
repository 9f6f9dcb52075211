import {
  causeMessage,
  checkKnownKeys,
  checkObject,
  checkSignal,
  type Contract,
  invalidArgument,
  readingOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { withinCallBounds } from '../manager/call-bounds.js';
import { waitTimeoutError } from '../manager/fault-policy.js';
import type { ManagerRequestOptions } from '../manager/request-options.js';
import { checkTimeout, NO_TIMEOUT } from '../manager/validate-options.js';

/** What a contract client sends through: a `UmdManager` or a `UmdPool`. */
export interface ContractTarget {
  readonly name: string;
  request(payload: Uint8Array, options?: ManagerRequestOptions): Promise<Uint8Array>;
}

/** Per-call options of {@link ContractClient.request}: those of `request()`, without `checkReply` (the contract is the check). */
export type ContractRequestOptions = Omit<ManagerRequestOptions, 'checkReply' | 'replyInto'>;

/** Typed requests through a contract, on a manager or a pool. */
export interface ContractClient<Req, Rep> {
  /** The contract this client speaks. */
  readonly contract: Contract<Req, Rep>;
  /**
   * Validates and encodes `value` (refused: `UMD_INVALID_ARGUMENT`, nothing sent), sends it,
   * and resolves with the decoded, validated reply. A reply that does not decode or fails
   * validation rejects with `UMD_INVALID_REPLY`, and the handler that sent it is killed
   * (fail-stop). Every other error is the target's.
   */
  request(value: Req, options?: ContractRequestOptions): Promise<Rep>;
}

/**
 * A typed client: `const sum = contractClient(manager, SumContract); await sum.request({ a: 1, b: 2 })`.
 */
export function contractClient<Req, Rep>(
  target: ContractTarget,
  contract: Contract<Req, Rep>,
): ContractClient<Req, Rep> {
  readingOptions('contractClient', 'its target or contract', () => {
    if (typeof target?.request !== 'function')
      throw invalidArgument('contractClient', 'target must be a UmdManager or a UmdPool');
    if (typeof contract?.encodeRequest !== 'function' || typeof contract.decodeReply !== 'function')
      throw invalidArgument(
        target.name,
        'contractClient needs a contract made by defineContract()',
      );
  });
  return {
    contract,
    async request(value, options) {
      const started = performance.now();
      const { signal, timeoutMs } = readingOptions(target.name, 'request options', () =>
        checkOptions(options, target.name),
      );
      let payload: Uint8Array | Promise<Uint8Array>;
      try {
        payload = contract.encodeRequest(value);
      } catch (cause) {
        throw invalidRequest(target.name, cause);
      }
      // The fields written out, not spread into the options sent: see withTimeout (on Node 20 a
      // spread followed by more keys makes a hidden class per request).
      let sendTimeoutMs = timeoutMs;
      if (payload instanceof Promise) {
        // An async validator is the caller's code: the call's signal and timeout bound it too.
        const ms = timeoutMs === NO_TIMEOUT ? undefined : timeoutMs;
        const timedOut = () => waitTimeoutError(target.name, ms!, 'the request validator');
        const pending = payload;
        const outcome = await withinCallBounds(() => pending, signal, ms, timedOut, target.name);
        if ('cutShort' in outcome) throw outcome.cutShort;
        if ('failed' in outcome) throw invalidRequest(target.name, outcome.failed);
        payload = outcome.value;
        if (ms !== undefined) {
          const left = Math.floor(ms - (performance.now() - started));
          sendTimeoutMs = Math.max(1, left);
        }
      }
      let reply: Rep | undefined;
      await target.request(payload, {
        signal,
        timeoutMs: sendTimeoutMs,
        checkReply: (bytes) => {
          const decoded = contract.decodeReply(bytes);
          if (!(decoded instanceof Promise)) {
            reply = decoded;
            return undefined;
          }
          return decoded.then((value) => {
            reply = value;
          });
        },
      });
      return reply as Rep;
    },
  };
}

const KEYS: Record<keyof ContractRequestOptions, true> = { signal: true, timeoutMs: true };
const NOT_HERE = {
  checkReply: 'the contract checks the reply',
  replyInto: 'the contract decodes the reply into a new value',
};

/** A call's options, checked before the contract's codec runs: a bad one sends nothing. */
function checkOptions(options: unknown, name: string): ContractRequestOptions {
  const given = checkObject<ContractRequestOptions>(options, 'request options', name);
  checkKnownKeys(given, KEYS, 'of a contract request ', name, NOT_HERE);
  const signal = checkSignal(given.signal, name);
  const timeoutMs = given.timeoutMs;
  if (timeoutMs === undefined || timeoutMs === null) return { signal };
  return { signal, timeoutMs: checkTimeout(timeoutMs, 'timeoutMs', name, 0, { allowNone: true }) };
}

/** A request the contract refused (its codec or validator threw): nothing is sent. */
function invalidRequest(name: string, cause: unknown): UmdError {
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, `${name}: ${causeMessage(cause)}`, {
    cause,
    handlerName: name,
  });
}
