import type { AppRecord, ChannelRecord, JwtAlgorithm } from '../../core/ports/directory.js';

/**
 * Tenancy rows as both SQL stores read them (the SQLite and PostgreSQL schemas are the same schema; see
 * test/conformance/schema-equivalence.test.ts), and the records the core's ports speak of.
 */

export interface AppRow {
  client_id: string;
  name: string;
  client_secret: string | null;
  public_key: string | null;
  algorithms: string;
  bot_ids: string;
}

export const toApp = (r: AppRow): AppRecord => ({
  clientId: r.client_id,
  name: r.name,
  ...(r.client_secret !== null ? { clientSecret: r.client_secret } : {}),
  ...(r.public_key !== null ? { publicKey: r.public_key } : {}),
  algorithms: JSON.parse(r.algorithms) as JwtAlgorithm[],
  botIds: JSON.parse(r.bot_ids) as string[],
});

export interface ChannelRow {
  id: string;
  bot_id: string;
  name: string;
  key_hash: string;
  origins: string;
  /** BIGINT arrives as a string from some drivers. */
  idle_timeout_sec: number | string | null;
}

export const toChannel = (r: ChannelRow): ChannelRecord => ({
  id: r.id,
  botId: r.bot_id,
  name: r.name,
  keyHash: r.key_hash,
  origins: JSON.parse(r.origins) as string[],
  ...(r.idle_timeout_sec !== null ? { idleTimeoutSec: Number(r.idle_timeout_sec) } : {}),
});
