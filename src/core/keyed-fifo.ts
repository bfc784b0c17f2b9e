/**
 * Runs jobs one at a time per key, in arrival order. A key with nothing running has no entry; a running
 * key has the queue of jobs waiting behind it, dropped when it drains. (One continuation per job: the
 * uncontended case costs almost nothing.) Both sequencers order their turns with it.
 */
export class KeyedFifo {
  private readonly queues = new Map<string, (() => void)[]>();
  private idle: (() => void) | undefined;

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const waiting = this.queues.get(key);
    if (!waiting) {
      this.queues.set(key, []);
      return this.execute(key, job);
    }
    return new Promise<T>((resolve, reject) => waiting.push(() => void this.execute(key, job).then(resolve, reject)));
  }

  /** Resolves once nothing runs or waits. */
  drained(): Promise<void> {
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

  private execute<T>(key: string, job: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = job();
    } catch (err) {
      result = Promise.reject(err);
    }
    const next = () => {
      const waiting = this.queues.get(key)!;
      const waiter = waiting.shift();
      if (waiter) return waiter();
      this.queues.delete(key);
      if (this.queues.size === 0) this.idle?.();
    };
    result.then(next, next);
    return result;
  }
}
