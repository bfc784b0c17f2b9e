import type { AccessClaims } from '../../auth/access-token.js';
import type { Clock, Timer } from '../../core/ports/clock.js';
import type { EphemeralStore } from '../../core/ports/ephemeral.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Welcomes } from './welcomes.js';

/** How long a pending welcome waits in the shared store beyond the fallback delay. */
const PENDING_EXTRA_MS = 10_000;
/** How long a history request made before the window registered its welcome counts (the SDK races them). */
const EARLY_MS = 10_000;

const pendingKey = (deviceId: string) => `welcome:${deviceId}`;
const historyKey = (deviceId: string) => `welcome-history:${deviceId}`;

interface Local {
  readonly fire: () => Promise<void>;
  readonly timer: Timer;
  /** Settles once the welcome is registered in the shared store (true) or the connection did not start (false). */
  readonly registered: Promise<boolean>;
}

/**
 * The welcome gate of a cluster (see {@link WelcomeGate} for why a welcome waits for the history request).
 * Without sticky sessions a window's history request may reach another node than its socket. So a
 * pending welcome is also a key in the shared store, and whoever takes that key — the socket's node at its
 * fallback delay or at a history request it serves, or any other node serving the device's history —
 * runs the welcome, exactly once. A history request that comes before the window registered leaves a mark
 * the window finds when it does. Every step is a single atomic operation (put, take), and each side
 * re-checks after writing, so no interleaving loses the welcome or runs it twice.
 */
export class ClusterWelcomes implements Welcomes {
  private readonly local = new Map<string, Local>();

  constructor(
    private readonly kv: EphemeralStore,
    private readonly clock: Clock,
    private readonly fallbackMs: number,
    /** Run a device's welcome on this node (its socket is elsewhere: the bus carries the answer to it). */
    private readonly runHere: (claims: AccessClaims) => Promise<void>,
    private readonly log: Logger,
  ) {}

  expect(deviceId: string, fire: () => Promise<void>, ready: Promise<boolean> = Promise.resolve(true)): void {
    this.cancel(deviceId);
    const registered = ready
      .then(async (started) => {
        if (!started) return false;
        await this.kv.put(pendingKey(deviceId), '1', this.fallbackMs + PENDING_EXTRA_MS);
        if ((await this.kv.take(historyKey(deviceId))) !== null) void this.fireLocal(deviceId, entry);
        return true;
      })
      .catch((err: unknown) => {
        this.log.warn({ err, device: deviceId }, 'kore.welcome_register_failed');
        return false;
      });
    const entry: Local = { fire, registered, timer: this.clock.setTimer(this.fallbackMs, () => void this.fireLocal(deviceId, entry)) };
    this.local.set(deviceId, entry);
  }

  /** The device asks for its history (on this node): its welcome is stored first, wherever its socket is. */
  async release(claims: AccessClaims): Promise<void> {
    const deviceId = claims.deviceId;
    const entry = this.local.get(deviceId);
    if (entry) return this.fireLocal(deviceId, entry);
    if ((await this.kv.take(pendingKey(deviceId))) !== null) return this.runHere(claims);
    await this.kv.put(historyKey(deviceId), '1', EARLY_MS);
    if ((await this.kv.take(pendingKey(deviceId))) !== null) {
      await this.kv.delete(historyKey(deviceId));
      return this.runHere(claims);
    }
  }

  cancel(deviceId: string): void {
    const entry = this.local.get(deviceId);
    if (!entry) return;
    this.local.delete(deviceId);
    entry.timer.cancel();
    void entry.registered.then((ok) => (ok ? this.kv.delete(pendingKey(deviceId)) : undefined)).catch(() => {});
  }

  private async fireLocal(deviceId: string, entry: Local): Promise<void> {
    if (this.local.get(deviceId) !== entry) return;
    this.local.delete(deviceId);
    entry.timer.cancel();
    if (!(await entry.registered)) return;
    try {
      if ((await this.kv.take(pendingKey(deviceId))) !== null) await entry.fire();
    } catch (err) {
      this.log.warn({ err, device: deviceId }, 'kore.welcome_failed');
    }
  }
}
