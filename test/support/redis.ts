/**
 * Redis for tests: the server on 127.0.0.1:6379 keeps nothing on disk and is shared, so every test run
 * uses its own key prefix and deletes its keys afterwards (never FLUSHALL).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['COLLOQUY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const testPrefix = (tag = 'test'): string => `colloquy-test:${tag}:${process.pid}:${randomBytes(4).toString('hex')}:`;

/** Delete every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A plain client for a test to poke at Redis (kill pub/sub connections, pause clients, read keys). */
export function redisClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
}

/** The Redis ids of the pub/sub connections of the nodes using `prefix`. */
async function subscriberIds(redis: Redis, prefix: string): Promise<string[]> {
  const name = `${prefix.replace(/[^\w:.-]/g, '_')}sub`;
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

/** How many pub/sub connections the nodes using `prefix` hold now. */
export async function countSubscribers(prefix: string): Promise<number> {
  const redis = redisClient();
  try {
    return (await subscriberIds(redis, prefix)).length;
  } finally {
    redis.disconnect();
  }
}

/**
 * Cut the pub/sub connections of the nodes using `prefix` (they reconnect by themselves), leaving every
 * other client of the shared Redis alone. Returns how many were cut.
 */
export async function killSubscribers(prefix: string): Promise<number> {
  const redis = redisClient();
  try {
    const ids = await subscriberIds(redis, prefix);
    for (const id of ids) await redis.call('CLIENT', 'KILL', 'ID', id);
    return ids.length;
  } finally {
    redis.disconnect();
  }
}
