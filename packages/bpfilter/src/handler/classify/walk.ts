/**
 * The walk of `ipt_do_table` over a compiled table: rules in order (only the lookup's
 * candidates), first terminal match wins; jumps push a return point, gotos do not; RETURN
 * (or the end of a user chain) pops it, or with nothing to pop falls to the hook's policy;
 * LOG and rules without a target count and continue; a match or target bpfilter cannot
 * evaluate stops the walk with CANNOT_EVALUATE. One {@link Walker} is reused for many
 * packets: it allocates nothing per packet beyond a lookup's merged candidate list.
 */
import { Action, type CompiledChain, type CompiledRule, type CompiledTable } from './compile.js';
import { packetInterfaceWords } from './ip-scan.js';
import { NO_MATCH, UNKNOWN } from './match-result.js';
import type { Packet } from './packet.js';

/** Outcome codes of {@link Walker.run}: Action.DROP/ACCEPT/QUEUE/REJECT, or this. */
export const CANNOT_EVALUATE = 4;

/** Upper bound on rules visited (tables are loop-free; this only guards the walk). */
const MAX_STEPS = 1_000_000;

/** A LOG target the packet passed. */
export interface LogEvent {
  chain: string;
  /** 1-based rule number. */
  rule: number;
  prefix: string;
  level: number;
  flags: number;
}

/** Walks packets through compiled tables; holds the last packet's outcome. */
export class Walker {
  /** Entry indices whose rule (or chain end) the last packet matched, in order. */
  hits = new Int32Array(64);
  hitCount = 0;
  /** The chain and rule that decided (rule null: the chain's policy / end). */
  chain!: CompiledChain;
  rule: CompiledRule | null = null;
  /** For CANNOT_EVALUATE: what could not be evaluated. */
  unknown: { kind: 'match' | 'target'; name: string } | undefined;
  /** LOG events of the last packet, when {@link Walker.collectLogs} is set. */
  logs: LogEvent[] = [];
  collectLogs = false;

  #stackChain: CompiledChain[] = [];
  #stackNext: number[] = [];
  #stackCand: (Int32Array | null)[] = [];
  #stackPos: number[] = [];
  /** The packet's interface names as words, for the chains' scans. */
  readonly #words = new Int32Array(8);

  /** Walks `packet` from built-in chain `hook`; returns an Action verdict or CANNOT_EVALUATE. */
  run(table: CompiledTable, hook: CompiledChain, packet: Packet): number {
    this.hitCount = 0;
    this.unknown = undefined;
    if (this.collectLogs) this.logs = [];
    const chains = table.chains;
    const words = this.#words;
    // 1: the packet's words are in `words`; 0: not computed yet; -1: it cannot be scanned.
    let scans = 0;
    let depth = 0;
    let chain = hook;
    let cand: Int32Array | null = chain.lookup === null ? null : chain.lookup(packet);
    let pos = 0;
    let i = 0;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const rules = chain.rules;
      // Scanned: rule i's IP part matches (or i is past the end).
      let scanned = false;
      if (cand !== null) {
        while (pos < cand.length && cand[pos]! < i) pos++;
        i = pos < cand.length ? cand[pos]! : rules.length;
      } else if (chain.scan !== null && scans >= 0) {
        if (scans === 0) scans = packetInterfaceWords(packet, words) ? 1 : -1;
        if (scans === 1) {
          i = chain.scan(packet, words, i);
          scanned = true;
        }
      }
      if (i >= rules.length) {
        this.#hit(chain.end);
        if (chain.policy >= 0) return this.#decide(chain, null, chain.policy);
        // The end of a user chain returns, as RETURN does (below).
      } else {
        const r = rules[i]!;
        if (!scanned && !ipMatches(r, packet)) {
          i++;
          continue;
        }
        let matched = true;
        for (const match of r.matches) {
          const result = match.test(packet);
          if (result === NO_MATCH) {
            matched = false;
            break;
          }
          if (result === UNKNOWN) {
            this.unknown = { kind: 'match', name: match.name };
            return this.#decide(chain, r, CANNOT_EVALUATE);
          }
        }
        if (!matched) {
          i++;
          continue;
        }
        switch (r.action) {
          case Action.CONTINUE:
            this.#hit(r.entry);
            if (r.effect !== undefined) r.effect(packet);
            if (r.log !== undefined && this.collectLogs)
              this.logs.push({ chain: chain.name, rule: r.rule, ...r.log });
            i++;
            continue;
          case Action.JUMP:
          case Action.GOTO:
            this.#hit(r.entry);
            if (r.action === Action.JUMP) {
              // A jump enters the chain as a goto does, with a way back.
              this.#stackChain[depth] = chain;
              this.#stackNext[depth] = i + 1;
              this.#stackCand[depth] = cand;
              this.#stackPos[depth] = pos;
              depth++;
            }
            chain = chains[r.jump]!;
            cand = chain.lookup === null ? null : chain.lookup(packet);
            pos = 0;
            i = 0;
            continue;
          case Action.RETURN:
            this.#hit(r.entry);
            break;
          case Action.UNKNOWN:
            this.unknown = { kind: 'target', name: r.targetName };
            return this.#decide(chain, r, CANNOT_EVALUATE);
          default:
            this.#hit(r.entry);
            return this.#decide(chain, r, r.action);
        }
      }
      // RETURN, or the end of a user chain: back to where the last jump left off; with none
      // (a goto from the built-in chain, or a RETURN in it) the hook's policy decides.
      if (depth > 0) {
        depth--;
        chain = this.#stackChain[depth]!;
        i = this.#stackNext[depth]!;
        cand = this.#stackCand[depth]!;
        pos = this.#stackPos[depth]!;
      } else {
        chain = hook;
        cand = null;
        i = hook.rules.length;
      }
    }
    throw new RangeError('classification did not terminate');
  }

  #decide(chain: CompiledChain, rule: CompiledRule | null, verdict: number): number {
    this.chain = chain;
    this.rule = rule;
    return verdict;
  }

  #hit(entry: number): void {
    if (this.hitCount === this.hits.length) {
      const grown = new Int32Array(this.hits.length * 2);
      grown.set(this.hits);
      this.hits = grown;
    }
    this.hits[this.hitCount++] = entry;
  }
}

/** `ip_packet_match`: addresses, protocol, fragment, interfaces, each possibly inverted. */
function ipMatches(r: CompiledRule, p: Packet): boolean {
  if (((p.source & r.srcMask) !== r.srcAddr) !== r.srcInv) return false;
  if (((p.destination & r.dstMask) !== r.dstAddr) !== r.dstInv) return false;
  if (r.proto !== 0 && (p.protocol !== r.proto) !== r.protoInv) return false;
  // -f: only non-first fragments; ! -f: only first fragments and whole packets.
  if (r.frag !== 0 && p.fragment !== (r.frag === 1)) return false;
  if (r.inIf !== null && !r.inIf(p.inInterface)) return false;
  if (r.outIf !== null && !r.outIf(p.outInterface)) return false;
  return true;
}
