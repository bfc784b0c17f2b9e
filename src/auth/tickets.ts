import { newSecret } from '../core/ids.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import type { AccessClaims } from './access-token.js';

/** What an agent's console ticket stands for: the agent, and the credential stamp its token carried. */
export interface AgentTicket {
  readonly agentId: string;
  /** Undefined only for a ticket minted by a node that did not record it. */
  readonly credential: string | undefined;
}

/**
 * One-time connect tickets: `rtm/start` mints one, the WebSocket upgrade redeems it. A ticket works
 * once, within its time to live (30 s by default), on any node that shares the ephemeral store.
 */
export class Tickets {
  constructor(
    private readonly kv: EphemeralStore,
    private readonly ttlMs: number,
  ) {}

  async mint(claims: AccessClaims): Promise<string> {
    const sid = newSecret(24);
    await this.kv.put(`ticket:${sid}`, JSON.stringify(claims), this.ttlMs);
    return sid;
  }

  async redeem(sid: string | undefined | null): Promise<AccessClaims | null> {
    if (!sid || sid.length > 128) return null;
    const raw = await this.kv.take(`ticket:${sid}`);
    return raw ? (JSON.parse(raw) as AccessClaims) : null;
  }

  /**
   * A ticket for an agent's console socket (`POST /api/agent/ticket`); never redeemable as a user's. It
   * carries the credential stamp of the password the agent signed in with, so a password set between the
   * ticket and the socket still keeps the socket out.
   */
  async mintAgent(agentId: string, credential: string): Promise<string> {
    const sid = newSecret(24);
    await this.kv.put(`agent-ticket:${sid}`, JSON.stringify({ agentId, credential } satisfies AgentTicket), this.ttlMs);
    return sid;
  }

  /** What a live agent ticket was minted for (once), or null. */
  async redeemAgent(sid: string | undefined | null): Promise<AgentTicket | null> {
    if (!sid || sid.length > 128) return null;
    const raw = await this.kv.take(`agent-ticket:${sid}`);
    if (raw === null) return null;
    // A ticket minted by an older node (during a rolling upgrade) holds the bare agent id.
    return raw.startsWith('{') ? (JSON.parse(raw) as AgentTicket) : { agentId: raw, credential: undefined };
  }
}
