/**
 * bpfilter's plainly-named nft tables: a table holding an xt extension bound to its iptables
 * table's name (netlink-compat.ts) is enforced as `ip raw`, `ip mangle`..., the names
 * iptables-nft (and firewalld or docker through it) uses too. Only a table whose comment is
 * {@link OWNER_COMMENT} is bpfilter's: any other of that name is never replaced nor deleted,
 * and a replace that would need its name is refused.
 */
import { EnforcementError } from './errors.js';
import { isEnforceableTable, OWNER_COMMENT } from './nft-layout.js';
import type { NftRunner } from './nft-runner.js';

/** An nft table of a transaction: the iptables table and the name it is enforced under. */
export interface NamedTable {
  table: string;
  nftTable: string;
}

/** Which plainly-named `ip` tables in this namespace are bpfilter's. */
export class PlainTables {
  readonly #nft: NftRunner;
  readonly #owned = new Set<string>();

  constructor(nft: NftRunner) {
    this.#nft = nft;
  }

  /** Whether the kernel holds bpfilter's `table` under that very name. */
  has(table: string): boolean {
    return this.#owned.has(table);
  }

  /**
   * Of the `ip` tables `names` (a listing of the kernel's), those an earlier service left under
   * an iptables table's own name, known by their comment; they are then this service's.
   */
  async left(names: readonly string[], signal?: AbortSignal): Promise<string[]> {
    for (const name of names.filter(isEnforceableTable))
      if ((await this.#nft.tableComment(name, signal)) === OWNER_COMMENT) this.#owned.add(name);
    return [...this.#owned];
  }

  /**
   * Checks that the transaction may write `tables`: each one under its iptables table's own
   * name is bpfilter's already, or no table has that name. The transaction itself creates such
   * a name exclusively (netlink-table.ts), so one made after this check fails it in the
   * kernel; checked again then, with the kernel's refusal as `cause`.
   * @throws EnforcementError `kernel-refused` naming the table that is someone else's.
   */
  async claim(tables: readonly NamedTable[], signal?: AbortSignal, cause?: Error): Promise<void> {
    for (const { table, nftTable } of tables) {
      if (nftTable !== table || this.#owned.has(table)) continue;
      const comment = await this.#nft.tableComment(table, signal);
      if (comment === undefined || comment === OWNER_COMMENT) continue;
      throw new EnforcementError(
        'kernel-refused',
        `bpfilter enforcement: table "${table}" holds an xt extension that runs only in an nf_tables table named "${table}", and this namespace has an "ip ${table}" table that is not bpfilter's (iptables-nft's?${comment ? ` comment "${comment}"` : ''}): it stays as it is, and so do the enforced tables`,
        { table, cause },
      );
    }
  }

  /** Records a transaction that wrote `tables` and deleted `drop`. */
  applied(tables: readonly NamedTable[], drop: readonly string[]): void {
    for (const name of drop) this.#owned.delete(name);
    for (const { table, nftTable } of tables)
      nftTable === table ? this.#owned.add(table) : this.#owned.delete(table);
  }
}
