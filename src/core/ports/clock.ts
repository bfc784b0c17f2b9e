export interface Timer {
  /** Restart the timer with its original delay. */
  refresh(): void;
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimer(delayMs: number, fn: () => void): Timer;
}
