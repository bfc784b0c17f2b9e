export interface RateDecision {
  readonly ok: boolean;
  /** When refused: how long until one unit is available again. */
  readonly retryAfterMs: number;
}

/** Token buckets keyed by subject (e.g. a user of a bot): `capacity` burst, refilled at `perSecond`. */
export interface RateLimiter {
  consume(key: string, cost?: number): Promise<RateDecision>;
  /** The same decision without waiting, for implementations that decide locally (undefined: use `consume`). */
  consumeNow?(key: string, cost?: number): RateDecision;
}
