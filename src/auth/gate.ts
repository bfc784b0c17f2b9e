import { CoreError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import type { Directory } from '../core/ports/directory.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import type { RateLimiter } from '../core/ports/rate-limiter.js';

export interface GateSettings {
  /** How long a rate-limited user is refused new connections. */
  readonly penaltyMs: number;
  /**
   * How long a verdict is reused before the directory is asked again. The node also calls `forget` when
   * the directory reports a change, so this is only a safety net; each verdict's lifetime is spread over
   * ±25 % so that the users who connected together are not all re-checked in the same instant.
   */
  readonly cacheMs: number;
}

type Verdict = { readonly until: number; readonly error: CoreError | null };

/** The key of one user of one bot in the gate's verdicts and rate limits (a caller may keep it: see `messageNow`). */
export const gateKey = (botId: string, userId: string): string => `${botId}|${userId}`;

/**
 * Who may talk to which bot, right now: suspended bots, blocked users, rate limits and the penalty
 * that follows a rate-limit disconnect. Verdicts are cached so the per-message check is cheap; the node
 * calls `forget` when tenancy changes, and a verdict is asked again after at most 1.25 × `cacheMs` anyway.
 */
export class Gate {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(
    private readonly directory: Directory,
    private readonly penalties: EphemeralStore,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly settings: GateSettings,
  ) {}

  /** Throws `BOT_NOT_FOUND`, `BOT_SUSPENDED`, `USER_BLOCKED` or `RATE_LIMITED` (with `retryAfterMs`). */
  async admit(botId: string, userId: string): Promise<void> {
    const now = this.clock.now();
    const key = `${botId}|${userId}`;
    const cached = this.verdicts.get(key);
    if (cached && cached.until > now) {
      if (cached.error) throw cached.error;
      return;
    }
    const error = await this.evaluate(botId, userId);
    if (this.verdicts.size > 50_000) this.verdicts.clear();
    // A penalty has its own expiry; only standing verdicts (allowed, blocked, suspended) are cached.
    const lifetime = this.settings.cacheMs * (0.75 + Math.random() / 2);
    if (error?.code !== 'RATE_LIMITED') this.verdicts.set(key, { until: now + lifetime, error });
    if (error) throw error;
  }

  /** Forget cached verdicts (tenancy changed): the next `admit` asks the directory again. */
  forget(): void {
    this.verdicts.clear();
  }

  /** Count one message against the user's budget; throws `RATE_LIMITED` when it is spent. */
  async spend(botId: string, userId: string): Promise<void> {
    const d = await this.limiter.consume(`${botId}|${userId}`);
    if (!d.ok) throw new CoreError('RATE_LIMITED', undefined, { retryAfterMs: d.retryAfterMs });
  }

  /** A user message: may this user talk to this bot now, and is there budget left? (`admit` + `spend`.) */
  async message(botId: string, userId: string): Promise<void> {
    const quick = this.messageNow(botId, userId);
    if (quick === undefined) {
      await this.admit(botId, userId);
      await this.spend(botId, userId);
    } else if (quick !== null) {
      throw quick;
    }
  }

  /**
   * The same decision without waiting when it can be made from memory (a cached verdict and a local rate
   * limiter): `null` to go ahead, the refusal, or `undefined` when only {@link message} can tell. A connection
   * passes its user's {@link gateKey}, made once: a key string made anew per message costs a hash per lookup.
   */
  messageNow(botId: string, userId: string, key = gateKey(botId, userId)): CoreError | null | undefined {
    const cached = this.verdicts.get(key);
    if (!cached || cached.until <= this.clock.now() || !this.limiter.consumeNow) return undefined;
    if (cached.error) return cached.error;
    const d = this.limiter.consumeNow(key);
    return d.ok ? null : new CoreError('RATE_LIMITED', undefined, { retryAfterMs: d.retryAfterMs });
  }

  /** After a rate-limit disconnect: refuse new connections of this user for the penalty time. */
  async penalize(botId: string, userId: string): Promise<void> {
    this.verdicts.delete(`${botId}|${userId}`);
    const until = this.clock.now() + this.settings.penaltyMs;
    await this.penalties.put(`penalty:${botId}|${userId}`, String(until), this.settings.penaltyMs);
  }

  private async evaluate(botId: string, userId: string): Promise<CoreError | null> {
    const bot = await this.directory.bot(botId);
    if (!bot) return new CoreError('BOT_NOT_FOUND');
    if (bot.suspended) return new CoreError('BOT_SUSPENDED');
    if (await this.directory.isUserBlocked(botId, userId)) return new CoreError('USER_BLOCKED');
    const penalty = await this.penalties.get(`penalty:${botId}|${userId}`);
    if (penalty !== null) {
      const retryAfterMs = Math.max(0, Number(penalty) - this.clock.now());
      if (retryAfterMs > 0) return new CoreError('RATE_LIMITED', undefined, { retryAfterMs });
    }
    return null;
  }
}
