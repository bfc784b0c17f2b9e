import { newSecret } from '../core/ids.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import type { AccessClaims } from './access-token.js';

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

  /** A ticket for an agent's console socket (`POST /api/agent/ticket`); never redeemable as a user's. */
  async mintAgent(agentId: string): Promise<string> {
    const sid = newSecret(24);
    await this.kv.put(`agent-ticket:${sid}`, agentId, this.ttlMs);
    return sid;
  }

  /** The agent id of a live agent ticket (once), or null. */
  async redeemAgent(sid: string | undefined | null): Promise<string | null> {
    if (!sid || sid.length > 128) return null;
    return this.kv.take(`agent-ticket:${sid}`);
  }
}
