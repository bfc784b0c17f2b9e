import type { Clock } from '../ports/clock.js';
import type { EphemeralStore } from '../ports/ephemeral.js';
import { systemClock } from './clock.js';

/** In-process TTL map; expired keys are dropped lazily and by a periodic sweep. */
export class MemoryEphemeralStore implements EphemeralStore {
  private readonly map = new Map<string, { value: string; expires: number }>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(private readonly clock: Clock = systemClock, sweepEveryMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  private live(key: string): string | null {
    const e = this.map.get(key);
    if (!e) return null;
    if (e.expires <= this.clock.now()) {
      this.map.delete(key);
      return null;
    }
    return e.value;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    this.map.set(key, { value, expires: this.clock.now() + ttlMs });
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) !== null) return false;
    this.map.set(key, { value, expires: this.clock.now() + ttlMs });
    return true;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key);
  }

  async take(key: string): Promise<string | null> {
    const v = this.live(key);
    if (v !== null) this.map.delete(key);
    return v;
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }

  sweep(): void {
    const now = this.clock.now();
    for (const [k, e] of this.map) if (e.expires <= now) this.map.delete(k);
  }

  get size(): number {
    return this.map.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}
