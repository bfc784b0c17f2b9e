import { createHash } from 'node:crypto';
import type { Clock } from '../core/ports/clock.js';
import { ServerJwt } from './server-jwt.js';

export interface IssuedAgentToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Agent tokens name this audience; user access tokens name none, so neither passes for the other. */
const AUDIENCE = 'colloquy:agent';

/**
 * A short fingerprint of an agent's password hash, carried by the tokens issued against it: setting a password
 * (even the same one: a new salt) changes it, so the tokens issued before no longer pass. Not reversible into
 * anything an attacker could use: a truncated SHA-256 of a salted scrypt hash.
 */
export const credentialStamp = (passwordHash: string | undefined): string =>
  passwordHash === undefined ? '' : createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);

/** What a valid agent token says. */
export interface AgentClaims {
  readonly agentId: string;
  /** The {@link credentialStamp} of the password the agent signed in with. */
  readonly credential: string;
}

/**
 * Agent console tokens: server-signed JWTs (`ServerJwt`), `sub` = agent id, `cred` = the password's
 * {@link credentialStamp}. They open the agent console socket (through a one-time ticket).
 */
export class AgentTokens {
  private readonly jwt: ServerJwt;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    clock: Clock,
  ) {
    this.jwt = new ServerJwt(secret, clock);
  }

  async issue(agentId: string, passwordHash: string | undefined): Promise<IssuedAgentToken> {
    const { token, expiresAt } = await this.jwt.sign({ cred: credentialStamp(passwordHash) }, agentId, this.ttlMs, AUDIENCE);
    return { token, expiresAt };
  }

  /** The claims of a valid token; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined): Promise<AgentClaims> {
    const payload = await this.jwt.verify(token, AUDIENCE);
    return { agentId: payload.sub, credential: typeof payload['cred'] === 'string' ? payload['cred'] : '' };
  }
}
