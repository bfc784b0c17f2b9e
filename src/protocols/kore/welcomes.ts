import type { Clock, Timer } from '../../core/ports/clock.js';

/**
 * Holds a new window's welcome (On-Connect) until that device's history request has been answered,
 * or a fallback delay has passed. The Web SDK drops bot messages that arrive while its history is
 * loading and the history turns out empty (reference §B.7), so sending the welcome at once loses it.
 */
export class WelcomeGate {
  private readonly pending = new Map<string, { fire: () => void; timer: Timer }>();
  /** Devices whose history was answered before their connection asked to greet. */
  private readonly served = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly fallbackMs: number,
  ) {}

  /** Run `fire` once the device's history is answered, or after the fallback delay. */
  expect(deviceId: string, fire: () => void): void {
    this.cancel(deviceId);
    const servedAt = this.served.get(deviceId);
    this.served.delete(deviceId);
    if (servedAt !== undefined && this.clock.now() - servedAt < 10_000) {
      fire();
      return;
    }
    const timer = this.clock.setTimer(this.fallbackMs, () => this.release(deviceId));
    this.pending.set(deviceId, { fire, timer });
  }

  /** The device's history was answered. */
  release(deviceId: string): void {
    const p = this.pending.get(deviceId);
    if (!p) {
      if (this.served.size > 10_000) this.served.clear();
      this.served.set(deviceId, this.clock.now());
      return;
    }
    this.pending.delete(deviceId);
    p.timer.cancel();
    p.fire();
  }

  cancel(deviceId: string): void {
    const p = this.pending.get(deviceId);
    if (!p) return;
    p.timer.cancel();
    this.pending.delete(deviceId);
  }
}
