import type { Lease, Sequencer } from '../ports/sequencer.js';

/**
 * In-process per-key FIFO: each key keeps only the tail of its promise chain, dropped when it drains.
 * It gives no fencing token: one process is the only writer, and a counter that restarts at zero with the
 * process would make every later write look stale to a store that remembers the last token.
 */
export class MemorySequencer implements Sequencer {
  private readonly tails = new Map<string, Promise<unknown>>();
  private static readonly LEASE: Lease = {};

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const start = (): Promise<T> => fn(MemorySequencer.LEASE);
    const result = previous ? previous.then(start, start) : start();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Number of keys with queued or running work (for tests and metrics). */
  get activeKeys(): number {
    return this.tails.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
