/**
 * Every implementation of every port, as a table of factories. The conformance suites in
 * src/core/testing run against each row; adding an implementation (PostgreSQL, Redis …) is one row:
 *
 *   { name: 'PostgresStore', requires: 'postgresql', setup: async () => { … return { ctx: { store }, teardown } } },
 *
 * A row with `requires` is skipped on a laptop when the service is not reachable, and fails under CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisBus } from '../../src/bus/redis/bus.js';
import { RedisConnections } from '../../src/bus/redis/client.js';
import { RedisEphemeralStore } from '../../src/bus/redis/ephemeral.js';
import { RedisIdleTimers } from '../../src/bus/redis/idle-timers.js';
import { RedisPresence } from '../../src/bus/redis/presence.js';
import { RedisRateLimiter } from '../../src/bus/redis/rate-limiter.js';
import { RedisSequencer } from '../../src/bus/redis/sequencer.js';
import { SessionTimers } from '../../src/core/conversation/timers.js';
import { MemoryBus } from '../../src/core/memory/bus.js';
import { systemClock } from '../../src/core/memory/clock.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import { MemoryPresence } from '../../src/core/memory/presence.js';
import { MemoryRateLimiter } from '../../src/core/memory/rate-limiter.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import type { BusCtx } from '../../src/core/testing/bus-suite.js';
import type { EphemeralCtx } from '../../src/core/testing/ephemeral-suite.js';
import type { IdleTimersCtx } from '../../src/core/testing/idle-timers-suite.js';
import type { PresenceCtx } from '../../src/core/testing/presence-suite.js';
import type { RateLimiterCtx } from '../../src/core/testing/rate-limiter-suite.js';
import type { SequencerCtx } from '../../src/core/testing/sequencer-suite.js';
import type { StoreCtx } from '../../src/core/testing/store-suite.js';
import type { TenancyCtx } from '../../src/core/testing/tenancy-suite.js';
import type { DeskStoreCtx } from '../../src/core/testing/desk-store-suite.js';
import { MemoryDeskStore } from '../../src/core/memory/desk-store.js';
import { SqliteDeskStore } from '../../src/storage/sqlite/desk.js';
import { PostgresDeskStore } from '../../src/storage/postgres/desk.js';
import { openPool } from '../../src/storage/postgres/database.js';
import { PostgresStore } from '../../src/storage/postgres/store.js';
import { PostgresTenancy } from '../../src/storage/postgres/tenancy.js';
import { openDatabase, type OpenOptions } from '../../src/storage/sqlite/database.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import { SqliteTenancy } from '../../src/storage/sqlite/tenancy.js';
import { createTestDatabase } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';

export interface Harness<Ctx> {
  readonly ctx: Ctx;
  teardown(): Promise<void>;
}

export interface Implementation<Ctx> {
  readonly name: string;
  /** An outside service this implementation needs (see test/support/services.ts). */
  readonly requires?: 'postgresql' | 'redis';
  /** A fresh instance for one run of a suite. */
  setup(): Promise<Harness<Ctx>>;
}

/** A temp directory removed on teardown. */
export function tempDir(prefix = 'colloquy-conf-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A SqliteStore on a fresh database file. */
export function sqliteStore(synchronous: OpenOptions['synchronous']): () => Promise<Harness<StoreCtx>> {
  return async () => {
    const dir = tempDir();
    const store = new SqliteStore(openDatabase(join(dir.path, 'colloquy.db'), { synchronous }));
    return {
      ctx: { store },
      async teardown() {
        await store.close();
        dir.remove();
      },
    };
  };
}

/**
 * `nodes` connections to the test Redis under one fresh key prefix (each connection is a node); teardown
 * closes them and deletes every key of the prefix.
 */
export async function redisNodes(nodes: number, tag: string): Promise<{ connections: RedisConnections[]; prefix: string; teardown(): Promise<void> }> {
  const prefix = testPrefix(tag);
  const connections = Array.from({ length: nodes }, () => new RedisConnections({ url: REDIS_URL, prefix }));
  await Promise.all(connections.map((c) => c.connect()));
  return {
    connections,
    prefix,
    async teardown() {
      await Promise.all(connections.map((c) => c.close()));
      await deleteKeys(prefix);
    },
  };
}

export const storeImplementations: readonly Implementation<StoreCtx>[] = [
  {
    name: 'MemoryStore',
    setup: async () => {
      const store = new MemoryStore();
      return { ctx: { store }, teardown: () => store.close() };
    },
  },
  { name: 'SqliteStore (synchronous=normal)', setup: sqliteStore('normal') },
  { name: 'SqliteStore (synchronous=full)', setup: sqliteStore('full') },
  {
    name: 'PostgresStore',
    requires: 'postgresql',
    setup: async () => {
      const db = await createTestDatabase('store');
      const pool = await openPool(db.url, { max: 8 });
      const store = new PostgresStore(pool);
      return {
        ctx: { store },
        async teardown() {
          await store.close();
          await pool.end();
          await db.drop();
        },
      };
    },
  },
  {
    name: 'PostgresStore (two writers on one database)',
    requires: 'postgresql',
    setup: async () => {
      // Every other call goes to the other writer: each must see and respect what the other wrote.
      const db = await createTestDatabase('store2');
      const pools = await Promise.all([openPool(db.url, { max: 8 }), openPool(db.url, { max: 8 })]);
      const stores = pools.map((p) => new PostgresStore(p));
      let turn = 0;
      const next = () => stores[turn++ % 2]!;
      const store: StoreCtx['store'] = {
        append: (...a) => next().append(...a),
        readSince: (...a) => next().readSince(...a),
        readMessages: (...a) => next().readMessages(...a),
        getState: (...a) => next().getState(...a),
        heads: (...a) => next().heads(...a),
        close: async () => {},
      };
      return {
        ctx: { store },
        async teardown() {
          await Promise.all(stores.map((s) => s.close()));
          await Promise.all(pools.map((p) => p.end()));
          await db.drop();
        },
      };
    },
  },
];

export const sequencerImplementations: readonly Implementation<SequencerCtx>[] = [
  {
    name: 'MemorySequencer',
    setup: async () => {
      const sequencer = new MemorySequencer();
      return { ctx: { sequencer }, teardown: () => sequencer.close() };
    },
  },
  {
    name: 'RedisSequencer (two nodes)',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(2, 'sequencer');
      const [sequencer, peer] = redis.connections.map((c, i) => new RedisSequencer(c, { node: `n-test-${i}`, leaseMs: 2000 }));
      return {
        ctx: { sequencer: sequencer!, peer: peer! },
        async teardown() {
          await Promise.all([sequencer!.close(), peer!.close()]);
          await redis.teardown();
        },
      };
    },
  },
];

export const busImplementations: readonly Implementation<BusCtx>[] = [
  {
    name: 'MemoryBus (publisher and subscriber are one object)',
    setup: async () => {
      const bus = new MemoryBus();
      return { ctx: { publisher: bus, subscriber: bus }, teardown: () => bus.close() };
    },
  },
  {
    name: 'RedisBus (two nodes)',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(2, 'bus');
      const [publisher, subscriber] = redis.connections.map((c) => new RedisBus(c));
      return {
        ctx: { publisher: publisher!, subscriber: subscriber! },
        async teardown() {
          await Promise.all([publisher!.close(), subscriber!.close()]);
          await redis.teardown();
        },
      };
    },
  },
];

export const ephemeralImplementations: readonly Implementation<EphemeralCtx>[] = [
  {
    name: 'MemoryEphemeralStore',
    setup: async () => {
      const kv = new MemoryEphemeralStore();
      return { ctx: { kv }, teardown: () => kv.close() };
    },
  },
  {
    name: 'RedisEphemeralStore',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(1, 'ephemeral');
      return { ctx: { kv: new RedisEphemeralStore(redis.connections[0]!) }, teardown: () => redis.teardown() };
    },
  },
];

/** Two handles (writer, reader) on one fresh SQLite file: the CLI and a server. */
function onOneSqliteFile<T>(open: (db: ReturnType<typeof openDatabase>) => T): () => Promise<Harness<{ writer: T; reader: T }>> {
  return async () => {
    const dir = tempDir();
    const file = join(dir.path, 'colloquy.db');
    const a = openDatabase(file, { synchronous: 'normal' });
    const b = openDatabase(file, { synchronous: 'normal' });
    return {
      ctx: { writer: open(a), reader: open(b) },
      async teardown() {
        a.close();
        b.close();
        dir.remove();
      },
    };
  };
}

/** Two handles (writer, reader) on two pools of one fresh PostgreSQL database: two nodes. */
function onOnePostgresDatabase<T>(name: string, open: (pool: Awaited<ReturnType<typeof openPool>>) => T): () => Promise<Harness<{ writer: T; reader: T }>> {
  return async () => {
    const db = await createTestDatabase(name);
    const pools = await Promise.all([openPool(db.url, { max: 2 }), openPool(db.url, { max: 2 })]);
    return {
      ctx: { writer: open(pools[0]!), reader: open(pools[1]!) },
      async teardown() {
        await Promise.all(pools.map((p) => p.end()));
        await db.drop();
      },
    };
  };
}

export const tenancyImplementations: readonly Implementation<TenancyCtx>[] = [
  { name: 'SqliteTenancy (the CLI and a server on one file)', setup: onOneSqliteFile((db) => new SqliteTenancy(db)) },
  { name: 'PostgresTenancy (two pools on one database)', requires: 'postgresql', setup: onOnePostgresDatabase('tenancy', (pool) => new PostgresTenancy(pool)) },
];

export const deskStoreImplementations: readonly Implementation<DeskStoreCtx>[] = [
  {
    name: 'MemoryDeskStore (both handles are one object)',
    setup: async () => {
      const desk = new MemoryDeskStore();
      return { ctx: { writer: desk, reader: desk }, teardown: async () => {} };
    },
  },
  { name: 'SqliteDeskStore (the CLI and a server on one file)', setup: onOneSqliteFile((db) => new SqliteDeskStore(db)) },
  { name: 'PostgresDeskStore (two pools on one database)', requires: 'postgresql', setup: onOnePostgresDatabase('desk', (pool) => new PostgresDeskStore(pool)) },
];

export const presenceImplementations: readonly Implementation<PresenceCtx>[] = [
  {
    name: 'MemoryPresence (both nodes are one object)',
    setup: async () => {
      const presence = new MemoryPresence();
      return { ctx: { a: presence, b: presence }, teardown: () => presence.close() };
    },
  },
  {
    name: 'RedisPresence (two nodes)',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(2, 'presence');
      const [a, b] = redis.connections.map((c) => new RedisPresence(c));
      return { ctx: { a: a!, b: b! }, teardown: () => redis.teardown() };
    },
  },
];

export const idleTimersImplementations: readonly Implementation<IdleTimersCtx>[] = [
  {
    name: 'SessionTimers (local to a process)',
    setup: async () => ({
      ctx: { create: (idleMs, onIdle) => new SessionTimers(systemClock, idleMs, onIdle), shared: false },
      teardown: async () => {},
    }),
  },
  {
    name: 'RedisIdleTimers (every create is a node)',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(3, 'idle');
      let i = 0;
      return {
        ctx: {
          create: (idleMs, onIdle) => new RedisIdleTimers(redis.connections[i++ % 3]!, systemClock, idleMs, onIdle, { pollMs: 100, retryMs: 500 }),
          shared: true,
        },
        teardown: () => redis.teardown(),
      };
    },
  },
];

export const rateLimiterImplementations: readonly Implementation<RateLimiterCtx>[] = [
  {
    name: 'MemoryRateLimiter (local: every node its own buckets)',
    setup: async () => {
      // A local limiter is one bucket set per process: the "many nodes" of the suite share this one.
      const limiters = new Map<string, MemoryRateLimiter>();
      return {
        ctx: {
          limiter: (capacity, perSecond) => {
            const k = `${capacity}/${perSecond}`;
            if (!limiters.has(k)) limiters.set(k, new MemoryRateLimiter(capacity, perSecond));
            return limiters.get(k)!;
          },
        },
        teardown: async () => {},
      };
    },
  },
  {
    name: 'RedisRateLimiter (every limiter is a node)',
    requires: 'redis',
    setup: async () => {
      const redis = await redisNodes(3, 'rate');
      let i = 0;
      return {
        ctx: { limiter: (capacity, perSecond) => new RedisRateLimiter(redis.connections[i++ % 3]!, capacity, perSecond) },
        teardown: () => redis.teardown(),
      };
    },
  },
];
