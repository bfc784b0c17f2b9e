import { createHash, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { hmacKey, type HmacKey } from '../../auth/keys.js';
import { CoreError } from '../../core/errors.js';
import type { Clock } from '../../core/ports/clock.js';
import type { ChannelRecord } from '../../core/ports/directory.js';

/**
 * The credentials of an Aisera channel (docs/protocols/aisera.md §4):
 * - a **channel key** (`ck_…`, server to server): may speak for any user of its channel;
 * - a **user token** (a JWT minted with a channel key by `POST /api/token`): one user of one channel;
 * - an **agent token** (the same, with scope `agent`): reserved for the agent-side request types.
 */
export type Principal =
  | { readonly kind: 'channel'; readonly expiresAt: number }
  | { readonly kind: 'user' | 'agent'; readonly sub: string; readonly email?: string; readonly name?: string; readonly expiresAt: number };

export const CHANNEL_KEY_PREFIX = 'ck_';
const ISSUER = 'colloquy';
const AUDIENCE = 'aisera-conv';
const SKEW_SEC = 60;

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export interface MintRequest {
  readonly channelId: string;
  readonly userId: string;
  readonly email?: string;
  readonly name?: string;
  readonly scope: 'user' | 'agent';
  readonly ttlSec: number;
}

export class AiseraTokens {
  private readonly key: Promise<HmacKey>;

  constructor(
    secret: string,
    private readonly clock: Clock,
  ) {
    // A key of its own (not the Kore access tokens' one): a token of one protocol never passes for the other.
    this.key = hmacKey(`aisera-conv:${secret}`, 'HS256');
  }

  /** Does `key` open `channel`? Constant time on the hash. */
  static keyOpens(key: string, channel: ChannelRecord): boolean {
    const a = Buffer.from(sha256Hex(key), 'hex');
    const b = Buffer.from(channel.keyHash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async mint(req: MintRequest): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + req.ttlSec;
    const token = await new SignJWT({ cid: req.channelId, scope: [req.scope], ...(req.email ? { email: req.email } : {}), ...(req.name ? { name: req.name } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(req.userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(sha256Hex(`${req.channelId}:${req.userId}:${now}:${Math.random()}`).slice(0, 24))
      .sign(await this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** Who `token` stands for on `channel`, or why it does not open it. */
  async verify(token: string, channel: ChannelRecord): Promise<Principal | CoreError> {
    if (token.startsWith(CHANNEL_KEY_PREFIX)) {
      return AiseraTokens.keyOpens(token, channel) ? { kind: 'channel', expiresAt: Number.POSITIVE_INFINITY } : new CoreError('TOKEN_INVALID');
    }
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        clockTolerance: SKEW_SEC,
        currentDate: new Date(this.clock.now()),
      });
      if (typeof payload.sub !== 'string' || typeof payload['cid'] !== 'string' || typeof payload.exp !== 'number') return new CoreError('TOKEN_INVALID');
      if (payload['cid'] !== channel.id) return new CoreError('CHANNEL_MISMATCH');
      const scope = Array.isArray(payload['scope']) ? (payload['scope'] as unknown[]) : [];
      const kind = scope.includes('agent') ? 'agent' : 'user';
      return {
        kind,
        sub: payload.sub,
        ...(typeof payload['email'] === 'string' ? { email: payload['email'] } : {}),
        ...(typeof payload['name'] === 'string' ? { name: payload['name'] } : {}),
        expiresAt: payload.exp * 1000,
      };
    } catch (err) {
      return new CoreError(err instanceof errors.JWTExpired ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
    }
  }
}

/** A connection's verdicts on the tokens it sent, by token hash and channel: a token costs one hash after its first use. */
export class TokenCache {
  private readonly verdicts = new Map<string, Principal>();

  constructor(private readonly max = 16) {}

  get(token: string, channelId: string, now: number): Principal | undefined {
    const key = `${channelId}\u0000${sha256Hex(token)}`;
    const p = this.verdicts.get(key);
    if (p && p.expiresAt + SKEW_SEC * 1000 > now) return p;
    if (p) this.verdicts.delete(key);
    return undefined;
  }

  put(token: string, channelId: string, principal: Principal): void {
    this.verdicts.set(`${channelId}\u0000${sha256Hex(token)}`, principal);
    if (this.verdicts.size > this.max) this.verdicts.delete(this.verdicts.keys().next().value!);
  }
}
