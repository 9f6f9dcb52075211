import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The directories a test makes (blobs, FIFOs, sockets, packed packages), so that it leaves none
 * behind: each `make` is a new directory, and `removeAll()`, called from the test framework's
 * `afterEach` or `afterAll` once the test's handlers are stopped, removes every one made since.
 */
export class TemporaryDirs {
  #made: string[] = [];

  /** A new directory named `prefix` plus a random suffix under `parent` (the system's temporary directory). */
  async make(prefix: string, parent: string = tmpdir()): Promise<string> {
    return this.#keep(await mkdtemp(join(parent, prefix)));
  }

  /** {@link TemporaryDirs.make}, for code that cannot await. */
  makeSync(prefix: string, parent: string = tmpdir()): string {
    return this.#keep(mkdtempSync(join(parent, prefix)));
  }

  /** Removes every directory made since the last call, with what is in it. */
  async removeAll(): Promise<void> {
    await Promise.all(this.#made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }

  /** {@link TemporaryDirs.removeAll}, for code that cannot await (an exit hook). */
  removeAllSync(): void {
    for (const dir of this.#made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  #keep(dir: string): string {
    this.#made.push(dir);
    return dir;
  }
}
