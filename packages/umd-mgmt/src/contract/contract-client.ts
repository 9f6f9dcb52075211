import { type Contract, UmdError, UmdErrorCode } from '@umd/core';
import type { ManagerRequestOptions } from '../manager/request-options.js';

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
  return {
    contract,
    async request(value, options = {}) {
      let payload: Uint8Array;
      try {
        payload = await contract.encodeRequest(value);
      } catch (cause) {
        throw new UmdError(
          UmdErrorCode.INVALID_ARGUMENT,
          `${target.name}: ${(cause as Error)?.message}`,
          {
            cause,
            handlerName: target.name,
          },
        );
      }
      let reply: Rep | undefined;
      await target.request(payload, {
        ...options,
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
