/**
 * SO_IP_SET answered by this network namespace's kernel, for an enforcing service: the sets
 * that `-m set` and `-j SET` rules name live there, and nft_compat's xt_set looks their
 * indexes up there at install. The package's helper (native/bpfilter_ipset.c, kept running)
 * does the getsockopt. A caller's request is checked before (only the four requests libxt_set
 * sends, each of its exact size) and the kernel's answer after (the same length, the op and
 * version unchanged): the service passes no other buffer to the kernel for a client.
 */
import {
  type IpsetAnswer,
  ipsetAnswerFault,
  ipsetRequestRefusal,
} from '../handler/ipset-sockopt.js';
import { EnforcementError } from './errors.js';
import { HelperProcess } from './helper-process.js';

/** The helper's status when the kernel's getsockopt failed (the errno is its output). */
const EXIT_ERRNO = 1;

/** Looks ipsets up in the kernel through the helper at `program`. */
export class KernelIpsets {
  readonly #helper: HelperProcess;

  constructor(program: string) {
    this.#helper = new HelperProcess(program);
  }

  /** Stops the helper process (idempotent; the next lookup starts it again). */
  close(): void {
    this.#helper.close();
  }

  /**
   * The kernel's answer to the SO_IP_SET request `request` (the caller's buffer): its status
   * and the buffer as the kernel rewrote it. Throws an `unavailable` EnforcementError when
   * the helper fails or answers what the kernel would not.
   */
  async query(request: Uint8Array, signal?: AbortSignal): Promise<IpsetAnswer> {
    const refused = ipsetRequestRefusal(request);
    if (refused) return refused;
    const { code, output } = await this.#helper.request(request, signal);
    if (code === EXIT_ERRNO && /^\d{1,4}$/.test(output))
      return { status: -Number(output), message: `SO_IP_SET: the kernel answered errno ${output}` };
    let fault = output;
    if (code === 0) {
      const body = /^(?:[0-9a-f]{2})*$/.test(output)
        ? Uint8Array.from(Buffer.from(output, 'hex'))
        : new Uint8Array();
      fault = ipsetAnswerFault(request, body) ?? '';
      if (fault === '') return { status: 0, body };
    }
    throw new EnforcementError(
      'unavailable',
      `bpfilter enforcement: the kernel's ipsets cannot be looked up: ${fault}`,
    );
  }
}
