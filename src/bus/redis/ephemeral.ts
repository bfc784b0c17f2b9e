import type { EphemeralStore } from '../../core/ports/ephemeral.js';
import type { RedisConnections } from './client.js';

const ttl = (ms: number) => Math.max(1, Math.ceil(ms));

/**
 * {@link EphemeralStore} on Redis, so a ticket minted on one node is redeemed on another, a JWT `jti` is used
 * once in the whole cluster, and device cursors follow a device to whichever node it reconnects to. Each
 * value is a key with a millisecond expiry; `take` is GETDEL and `putIfAbsent` is SET NX, both atomic.
 */
export class RedisEphemeralStore implements EphemeralStore {
  constructor(private readonly redis: RedisConnections) {}

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.cmd.set(this.k(key), value, 'PX', ttl(ttlMs));
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.cmd.set(this.k(key), value, 'PX', ttl(ttlMs), 'NX')) === 'OK';
  }

  get(key: string): Promise<string | null> {
    return this.redis.cmd.get(this.k(key));
  }

  take(key: string): Promise<string | null> {
    return this.redis.cmd.getdel(this.k(key));
  }

  async delete(key: string): Promise<void> {
    await this.redis.cmd.del(this.k(key));
  }

  /** The connections belong to the node. */
  async close(): Promise<void> {}

  private k(key: string): string {
    return this.redis.key(`kv:${key}`);
  }
}
