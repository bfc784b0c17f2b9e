import type { Clock } from '../core/ports/clock.js';
import { ServerJwt } from './server-jwt.js';

export interface IssuedAgentToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Agent tokens name this audience; user access tokens name none, so neither passes for the other. */
const AUDIENCE = 'colloquy:agent';

/**
 * Agent console tokens: server-signed JWTs (`ServerJwt`), `sub` = agent id. They open the agent console
 * socket (through a one-time ticket).
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

  async issue(agentId: string): Promise<IssuedAgentToken> {
    const { token, expiresAt } = await this.jwt.sign({}, agentId, this.ttlMs, AUDIENCE);
    return { token, expiresAt };
  }

  /** The agent id of a valid token; `TOKEN_EXPIRED` or `UNAUTHORIZED` otherwise. */
  async verify(token: string | undefined): Promise<string> {
    return (await this.jwt.verify(token, AUDIENCE)).sub;
  }
}
