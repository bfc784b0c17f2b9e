import { KeyedFifo } from '../keyed-fifo.js';
import type { Lease, Sequencer } from '../ports/sequencer.js';

/**
 * In-process: turns run one at a time per key, in arrival order ({@link KeyedFifo}).
 *
 * It gives no fencing token: one process is the only writer, and a counter that restarts at zero with the
 * process would make every later write look stale to a store that remembers the last token.
 */
export class MemorySequencer implements Sequencer {
  private readonly fifo = new KeyedFifo();
  private static readonly LEASE: Lease = {};

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    return this.fifo.run(key, () => fn(MemorySequencer.LEASE));
  }

  /** Resolves once nothing runs or waits (shutdown drains turns with it). */
  close(): Promise<void> {
    return this.fifo.drained();
  }
}
