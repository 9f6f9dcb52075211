/**
 * The system's name databases (`/etc/services`, `/etc/protocols`), each read and parsed once.
 * A missing file is an empty database: iptables then takes and prints numbers only, and so do we.
 */
import { readFileSync } from 'node:fs';

/** A getter that reads `path` on first use, parses it with `parse`, and keeps the result. */
export function systemDatabase<T>(path: string, parse: (text: string) => T): () => T {
  let database: { value: T } | undefined;
  return () => {
    if (database === undefined) {
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        // No such database on this machine: parse the empty text.
      }
      database = { value: parse(text) };
    }
    return database.value;
  };
}
