/**
 * One-at-a-time section, the kernel's `bpfilter_ops.lock`: a table change and the snapshot
 * taken after it must not interleave with another caller's change.
 */
export class SerialLock {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; resolves or rejects with it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // The next task waits for this one whatever its outcome.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
