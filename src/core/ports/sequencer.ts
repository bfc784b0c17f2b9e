export interface Lease {
  /** Monotonic per key across the whole deployment when the implementation supports fencing. */
  readonly fence?: number;
}

/**
 * One turn at a time per key (conversation), in arrival order.
 * `run` calls `fn` only after every earlier `run` of the same key has settled; a failing `fn`
 * does not block later ones. Different keys run concurrently.
 */
export interface Sequencer {
  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
