import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { CoreError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import { hmacKey, type HmacKey } from './keys.js';

const ISSUER = 'colloquy';

export interface SignedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/**
 * JWTs signed with the server's own secret (HS256), so any node verifies them without shared state: the
 * common part of the user access tokens and the agent tokens. An audience keeps one kind from passing for
 * another that names a different one.
 */
export class ServerJwt {
  /** Imported once: handing jose the raw bytes would import a key for every token. */
  private readonly key: Promise<HmacKey>;

  constructor(
    secret: string,
    private readonly clock: Clock,
  ) {
    this.key = hmacKey(secret, 'HS256');
  }

  async sign(claims: JWTPayload, subject: string, ttlMs: number, audience?: string): Promise<SignedToken> {
    const issuedAt = this.clock.now();
    const expiresAt = issuedAt + ttlMs;
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setSubject(subject);
    if (audience !== undefined) jwt.setAudience(audience);
    const token = await jwt
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await this.key);
    return { token, issuedAt, expiresAt };
  }

  /** The payload of a valid token with a subject; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined, audience?: string): Promise<JWTPayload & { sub: string }> {
    if (!token) throw new CoreError('UNAUTHORIZED');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        ...(audience !== undefined ? { audience } : {}),
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
      }));
    } catch (err) {
      throw new CoreError(err instanceof errors.JWTExpired ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new CoreError('UNAUTHORIZED');
    return payload as JWTPayload & { sub: string };
  }
}
