import type { Clock, Timer } from '../../core/ports/clock.js';

/** Where a connection registers its window's welcome (this node only, or the cluster: cluster-welcomes.ts). */
export interface Welcomes {
  /**
   * Register the device's welcome. `fire` runs it; `ready` resolves true once the connection is open and
   * attached (false if it never got there) — a cluster only tells other nodes about the welcome then.
   */
  expect(deviceId: string, fire: () => Promise<void>, ready?: Promise<boolean>): void;
  cancel(deviceId: string): void;
}

/**
 * Makes a new window's welcome (On-Connect) part of that window's history.
 *
 * The Web SDK holds back bot frames while its first history request is in flight and, if the history comes
 * back empty, never shows them (reference §B.7). So the welcome must not merely be *sent* after the history
 * call; it must be *in* the history answer. A connection registers its welcome here as soon as it exists;
 * the device's history request then runs it and waits for it to be stored before reading the page. The
 * live frame of the welcome is then dropped by the SDK as a duplicate `messageId`, and the history shows it.
 * Without a history request the welcome goes out after a fallback delay.
 */
export class WelcomeGate implements Welcomes {
  private readonly pending = new Map<string, { fire: () => Promise<void>; timer: Timer }>();
  /** Devices whose history was asked for before their connection registered a welcome. */
  private readonly early = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly fallbackMs: number,
  ) {}

  /** Register the device's welcome: it runs at the device's history request, or after the fallback delay. */
  expect(deviceId: string, fire: () => Promise<void>): void {
    this.cancel(deviceId);
    const earlyAt = this.early.get(deviceId);
    this.early.delete(deviceId);
    if (earlyAt !== undefined && this.clock.now() - earlyAt < 10_000) {
      void fire();
      return;
    }
    const timer = this.clock.setTimer(this.fallbackMs, () => void this.release(deviceId));
    this.pending.set(deviceId, { fire, timer });
  }

  /** The device asks for its history: run its pending welcome; resolves once the welcome is stored. */
  release(deviceId: string): Promise<void> {
    const p = this.pending.get(deviceId);
    if (!p) {
      if (this.early.size > 10_000) this.early.clear();
      this.early.set(deviceId, this.clock.now());
      return Promise.resolve();
    }
    this.pending.delete(deviceId);
    p.timer.cancel();
    return p.fire();
  }

  cancel(deviceId: string): void {
    const p = this.pending.get(deviceId);
    if (!p) return;
    p.timer.cancel();
    this.pending.delete(deviceId);
  }
}
