/**
 * GET_REVISION_MATCH / _TARGET answered again without a round trip to the handler. iptables
 * asks one for each extension it parses (every `iptables-restore` asks again), while the
 * handler's answer is its extension table's: the same for the life of its process. So the
 * front end keeps what the running handler answered to each exact request, and asks a
 * restarted handler again (its pid changed). Errors (a handler that died meanwhile) are not
 * answers and are not kept.
 */
import { IPT_SO_GET_REVISION_MATCH, IPT_SO_GET_REVISION_TARGET } from '../abi/constants.js';
import { copyBytes, toHex } from '../abi/bytes.js';
import { XT_GET_REVISION_SIZE } from '../abi/table-structs.js';
import type { SockoptResult } from './sockopt-options.js';

/** More distinct requests than iptables' extensions and revisions: a caller probing names. */
const MAX_ANSWERS = 1024;

/** The handler's revision answers, kept for the handler process that gave them. */
export class RevisionAnswers {
  #pid: number | undefined;
  readonly #answers = new Map<string, SockoptResult>();

  /** The kept answer of handler `pid` to `optname` with `optval`; undefined: ask the handler. */
  get(pid: number | undefined, optname: number, optval: Uint8Array): SockoptResult | undefined {
    if (pid === undefined || pid !== this.#pid) return undefined;
    const key = keyOf(optname, optval);
    const answer = key === undefined ? undefined : this.#answers.get(key);
    // A copy: the caller may write into what it is given.
    return answer && { status: answer.status, data: answer.data && copyBytes(answer.data) };
  }

  /** Keeps handler `pid`'s `answer` to `optname` with `optval` (a revision query only). */
  set(pid: number | undefined, optname: number, optval: Uint8Array, answer: SockoptResult): void {
    const key = keyOf(optname, optval);
    if (pid === undefined || key === undefined) return;
    if (pid !== this.#pid || this.#answers.size >= MAX_ANSWERS) this.#answers.clear();
    this.#pid = pid;
    this.#answers.set(key, { status: answer.status, data: answer.data && copyBytes(answer.data) });
  }
}

/** The key of a well-formed revision query; undefined for any other request. */
function keyOf(optname: number, optval: Uint8Array): string | undefined {
  if (optname !== IPT_SO_GET_REVISION_MATCH && optname !== IPT_SO_GET_REVISION_TARGET)
    return undefined;
  return optval.length === XT_GET_REVISION_SIZE ? `${optname} ${toHex(optval)}` : undefined;
}
