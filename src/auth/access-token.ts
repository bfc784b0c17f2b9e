import { errors, jwtVerify, SignJWT } from 'jose';
import { CoreError } from '../core/errors.js';
import { hmacKey, type HmacKey } from './keys.js';
import type { Clock } from '../core/ports/clock.js';

/** What an access token stands for: one device (page session) of one user talking to one bot. */
export interface AccessClaims {
  readonly userId: string;
  readonly botId: string;
  readonly clientId: string;
  readonly deviceId: string;
  /** The identity asserted by the customer's backend. */
  readonly identity: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

const ISSUER = 'colloquy';

/**
 * Bearer access tokens: JWTs signed with the server's own secret (HS256), so any node can verify them
 * without shared state.
 */
export class AccessTokens {
  /** Imported once: handing jose the raw bytes would import a key for every token. */
  private readonly key: Promise<HmacKey>;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    this.key = hmacKey(secret, 'HS256');
  }

  async issue(claims: AccessClaims): Promise<IssuedToken> {
    const issuedAt = this.clock.now();
    const expiresAt = issuedAt + this.ttlMs;
    const token = await new SignJWT({ bot: claims.botId, app: claims.clientId, dev: claims.deviceId, idn: claims.identity })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(claims.userId)
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await this.key);
    return { token, issuedAt, expiresAt };
  }

  /** The claims of a valid token; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined): Promise<AccessClaims> {
    if (!token) throw new CoreError('UNAUTHORIZED');
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
      });
      const { sub, bot, app, dev, idn } = payload;
      if (typeof sub !== 'string' || typeof bot !== 'string' || typeof app !== 'string' || typeof dev !== 'string' || typeof idn !== 'string') {
        throw new CoreError('UNAUTHORIZED');
      }
      return { userId: sub, botId: bot, clientId: app, deviceId: dev, identity: idn };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new CoreError('TOKEN_EXPIRED');
      if (err instanceof CoreError) throw err;
      throw new CoreError('UNAUTHORIZED');
    }
  }
}

/** `Authorization: bearer <token>` (any case) → token. */
export const bearer = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
};
