import type { Lease, Sequencer } from '../ports/sequencer.js';

/**
 * In-process per-key FIFO. A key with nothing running has no entry; a running key has a queue of the runs
 * waiting behind it, dropped when it drains. (One continuation per run: the uncontended case — a
 * conversation's turn while no other is queued — costs almost nothing.)
 *
 * It gives no fencing token: one process is the only writer, and a counter that restarts at zero with the
 * process would make every later write look stale to a store that remembers the last token.
 */
export class MemorySequencer implements Sequencer {
  private readonly queues = new Map<string, (() => void)[]>();
  private idle: (() => void) | undefined;
  private static readonly LEASE: Lease = {};

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const waiting = this.queues.get(key);
    if (!waiting) {
      this.queues.set(key, []);
      return this.execute(key, fn);
    }
    return new Promise<T>((resolve, reject) => waiting.push(() => void this.execute(key, fn).then(resolve, reject)));
  }

  private execute<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = fn(MemorySequencer.LEASE);
    } catch (err) {
      result = Promise.reject(err);
    }
    const next = () => {
      const waiting = this.queues.get(key)!;
      const job = waiting.shift();
      if (job) return job();
      this.queues.delete(key);
      if (this.queues.size === 0) this.idle?.();
    };
    result.then(next, next);
    return result;
  }

  /** Resolves once nothing runs or waits (shutdown drains turns with it). */
  close(): Promise<void> {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.idle;
      this.idle = () => {
        this.idle = previous;
        previous?.();
        resolve();
      };
    });
  }
}
