/** How the SET_REPLACE checks refuse a table: an errno and a message that says what and where. */

/** Thrown by a check, caught by `translateTable`. */
export class Refusal {
  constructor(
    readonly errno: number,
    readonly message: string,
  ) {}
}

/** Refuse the table with `errno`. */
export function refuse(errno: number, message: string): never {
  throw new Refusal(errno, message);
}

/**
 * Where an entry sits, as a refusal names it: written out only when one does (a table of
 * thousands of entries is checked without building a string per entry).
 */
export class EntryPlace {
  constructor(
    readonly index: number,
    readonly offset: number,
  ) {}

  toString(): string {
    return `entry ${this.index} at offset ${this.offset}`;
  }
}

/** `hook_entry`/`underflow` of a hook the table lacks. */
export const UNSET = 0xffffffff;
