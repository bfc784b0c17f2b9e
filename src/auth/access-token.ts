import { CoreError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import { ServerJwt, type SignedToken } from './server-jwt.js';

/** What an access token stands for: one device (page session) of one user talking to one bot. */
export interface AccessClaims {
  readonly userId: string;
  readonly botId: string;
  readonly clientId: string;
  readonly deviceId: string;
  /** The identity asserted by the customer's backend. */
  readonly identity: string;
}

export type IssuedToken = SignedToken;

/** Bearer access tokens: server-signed JWTs (`ServerJwt`), one per device (page session). */
export class AccessTokens {
  private readonly jwt: ServerJwt;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    clock: Clock,
  ) {
    this.jwt = new ServerJwt(secret, clock);
  }

  issue(claims: AccessClaims): Promise<IssuedToken> {
    return this.jwt.sign({ bot: claims.botId, app: claims.clientId, dev: claims.deviceId, idn: claims.identity }, claims.userId, this.ttlMs);
  }

  /** The claims of a valid token; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined): Promise<AccessClaims> {
    const { sub, bot, app, dev, idn } = await this.jwt.verify(token);
    if (typeof bot !== 'string' || typeof app !== 'string' || typeof dev !== 'string' || typeof idn !== 'string') throw new CoreError('UNAUTHORIZED');
    return { userId: sub, botId: bot, clientId: app, deviceId: dev, identity: idn };
  }
}

/** `Authorization: bearer <token>` (any case) → token. */
export const bearer = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
};
