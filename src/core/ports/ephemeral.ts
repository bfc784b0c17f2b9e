/**
 * Small, short-lived shared values: one-time connect tickets, JWT `jti` replay marks, device cursors,
 * penalties. Every value has a time to live. Guarantees (checked by `core/testing/ephemeral-suite`):
 * `take` returns a value to at most one caller; `putIfAbsent` succeeds for at most one caller per live key.
 */
export interface EphemeralStore {
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** True when the key was absent (or expired) and is now set. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Atomically read and delete. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
