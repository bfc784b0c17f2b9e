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
}
