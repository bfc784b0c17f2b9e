import type { Lease, Sequencer } from '../ports/sequencer.js';

/** In-process per-key FIFO: each key keeps only the tail of its promise chain, dropped when it drains. */
export class MemorySequencer implements Sequencer {
  private readonly tails = new Map<string, Promise<unknown>>();
  private fence = 0;

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const start = (): Promise<T> => fn({ fence: ++this.fence });
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
