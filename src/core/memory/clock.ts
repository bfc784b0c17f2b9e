import type { Clock, Timer } from '../ports/clock.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { refresh: () => void t.refresh(), cancel: () => clearTimeout(t) };
  },
};

/** A clock tests move by hand: timers fire synchronously inside `advance`. */
export class ManualClock implements Clock {
  private time: number;
  private readonly timers = new Set<{ due: number; delay: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const t = { due: this.time + delayMs, delay: delayMs, fn };
    this.timers.add(t);
    return {
      refresh: () => {
        t.due = this.time + t.delay;
        this.timers.add(t);
      },
      cancel: () => void this.timers.delete(t),
    };
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: { due: number; delay: number; fn: () => void } | undefined;
      for (const t of this.timers) if (t.due <= target && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.time = next.due;
      this.timers.delete(next);
      next.fn();
    }
    this.time = target;
  }
}
