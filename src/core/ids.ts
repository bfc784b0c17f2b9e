import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Colloquy's namespace for name-based (v5) UUIDs, so ids derived from names are stable across nodes. */
const NAMESPACE = Buffer.from('6f1d3c1e9b2a5d4e8c7f0a1b2c3d4e5f', 'hex');

/** RFC 9562 version-5 UUID of `name` in Colloquy's namespace. */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A user's id is derived from the identity (`sub`) the customer's backend asserted. */
export const userIdFor = (identity: string): string => `u-${uuidV5(`user:${identity}`)}`;

/** One conversation per (bot, user): derived, so any node finds it without a lookup. */
export const conversationIdFor = (botId: string, userId: string): string => `c-${uuidV5(`conv:${botId}:${userId}`)}`;

/**
 * Message ids: unique across nodes and restarts (a random per-process prefix, 72 bits) and cheap to make
 * (a counter), since every entry gets one. Only `[A-Za-z0-9_-]`, as the Kore Web SDK puts them in selectors.
 */
const MESSAGE_ID_PREFIX = `ms-${randomBytes(9).toString('base64url')}-`;
let messageCounter = 0;
export const newMessageId = (): string => MESSAGE_ID_PREFIX + (++messageCounter).toString(36);
export const newSessionId = (): string => randomBytes(12).toString('hex');
export const newDeviceId = (): string => `d-${randomBytes(12).toString('base64url')}`;
export const newConnectionId = (): string => randomBytes(9).toString('base64url');
/** Unguessable one-time secret (connect tickets, client secrets). */
export const newSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');
export const newClientId = (): string => `cs-${randomUUID()}`;
