import { errors, jwtVerify, SignJWT } from 'jose';
import { CoreError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import { hmacKey, type HmacKey } from './keys.js';

export interface IssuedAgentToken {
  readonly token: string;
  readonly expiresAt: number;
}

const ISSUER = 'colloquy';
/** Agent tokens name this audience; user access tokens name none, so neither passes for the other. */
const AUDIENCE = 'colloquy:agent';

/**
 * Agent console tokens: JWTs signed with the server's secret (HS256), `sub` = agent id, so any node
 * verifies them without shared state. They open the agent console socket (through a one-time ticket).
 */
export class AgentTokens {
  private readonly key: Promise<HmacKey>;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    this.key = hmacKey(secret, 'HS256');
  }

  async issue(agentId: string): Promise<IssuedAgentToken> {
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(agentId)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await this.key);
    return { token, expiresAt };
  }

  /** The agent id of a valid token; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined): Promise<string> {
    if (!token) throw new CoreError('UNAUTHORIZED');
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new CoreError('UNAUTHORIZED');
      return payload.sub;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new CoreError('TOKEN_EXPIRED');
      if (err instanceof CoreError) throw err;
      throw new CoreError('UNAUTHORIZED');
    }
  }
}
