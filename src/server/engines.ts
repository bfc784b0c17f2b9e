import { join } from 'node:path';
import { RedisBus } from '../bus/redis/bus.js';
import { RedisConnections } from '../bus/redis/client.js';
import { RedisEphemeralStore } from '../bus/redis/ephemeral.js';
import { RedisIdleTimers } from '../bus/redis/idle-timers.js';
import { RedisPresence } from '../bus/redis/presence.js';
import { RedisRateLimiter } from '../bus/redis/rate-limiter.js';
import { RedisSequencer } from '../bus/redis/sequencer.js';
import { MemoryBus } from '../core/memory/bus.js';
import { MemoryEphemeralStore } from '../core/memory/ephemeral.js';
import { MemoryPresence } from '../core/memory/presence.js';
import { MemoryDeskStore } from '../core/memory/desk-store.js';
import type { DeskStore } from '../core/ports/desk-store.js';
import { PostgresDeskStore } from '../storage/postgres/desk.js';
import { SqliteDeskStore } from '../storage/sqlite/desk.js';
import { MemoryRateLimiter } from '../core/memory/rate-limiter.js';
import { MemorySequencer } from '../core/memory/sequencer.js';
import { MemoryStore } from '../core/memory/store.js';
import type { Bus } from '../core/ports/bus.js';
import type { Clock } from '../core/ports/clock.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import type { IdleTimersFactory } from '../core/ports/idle-timers.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import type { Presence } from '../core/ports/presence.js';
import type { RateLimiter } from '../core/ports/rate-limiter.js';
import type { Sequencer } from '../core/ports/sequencer.js';
import type { ConversationStore } from '../core/ports/store.js';
import type { Tenancy } from '../core/ports/tenancy.js';
import type { Metrics } from '../gateway/metrics.js';
import { openPool } from '../storage/postgres/database.js';
import { PostgresStore } from '../storage/postgres/store.js';
import { PostgresTenancy } from '../storage/postgres/tenancy.js';
import { openDatabase } from '../storage/sqlite/database.js';
import { SqliteStore } from '../storage/sqlite/store.js';
import { SqliteTenancy } from '../storage/sqlite/tenancy.js';
import { ConfigError, type Config } from './config/load.js';
import { lockDataDir } from './lock.js';

/**
 * The implementations of the ports, chosen by configuration alone:
 *
 * | `COLLOQUY_STORE`  | `COLLOQUY_BUS` | what runs                                                            |
 * |-------------------|----------------|----------------------------------------------------------------------|
 * | `sqlite` (default)| `memory`       | one node, everything embedded (SQLite file, in-process ports)         |
 * | `postgres://…`    | `memory`       | one node on PostgreSQL (in-process ordering: run a single node)      |
 * | `postgres://…`    | `redis://…`    | a cluster: any number of nodes behind any load balancer              |
 * | `memory`          | `memory`       | tests                                                                 |
 */
export interface Engines {
  readonly store: ConversationStore;
  /** Run-time tenancy (apps, blocks, suspensions) shared with the CLI. */
  readonly tenancy: Tenancy;
  /** The live-agent desk's accounts and open handoffs, beside the conversations. */
  readonly desk: DeskStore;
  readonly bus: Bus;
  readonly sequencer: Sequencer;
  readonly ephemeral: EphemeralStore;
  readonly rateLimiter: RateLimiter;
  readonly presence: Presence;
  /** Shared session idle timers; undefined: the conversation service keeps them in this process. */
  readonly idleTimers: IdleTimersFactory | undefined;
  /** True when other nodes share these engines: cross-node behaviour (cursors, welcomes, healing) is on. */
  readonly clustered: boolean;
  /** What `/healthz` reports about the outside services (informational: a blip must not drain every node). */
  health(): Record<string, unknown>;
  /** After the node stopped using them: flush and release everything, leaving the cluster clean. */
  close(): Promise<void>;
}

export interface EngineOptions {
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly log?: Logger;
  /** This node's id (bus messages, lock tokens and wake-ups carry it). */
  readonly node: string;
  /** A bus shared by several nodes of one process (in-process cluster tests); not closed by this node. */
  readonly bus?: Bus;
}

export const databasePath = (dataDir: string): string => join(dataDir, 'colloquy.db');

const POSTGRES = /^postgres(ql)?:\/\//i;
const REDIS = /^rediss?:\/\//i;

export const isPostgres = (store: string): boolean => POSTGRES.test(store);
export const isRedis = (bus: string): boolean => REDIS.test(bus);

/** Passwords never reach the logs. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** Refuse combinations that cannot work, before anything is opened. */
export function checkEngines(config: Config): void {
  const s = config.settings;
  const problems: string[] = [];
  const storeOk = s.store === 'sqlite' || s.store === 'memory' || isPostgres(s.store);
  if (!storeOk) problems.push(`COLLOQUY_STORE: "${redactUrl(s.store)}" is not supported (use sqlite, memory or postgres://…)`);
  if (s.bus !== 'memory' && !isRedis(s.bus)) problems.push(`COLLOQUY_BUS: "${redactUrl(s.bus)}" is not supported (use memory or redis://…)`);
  if (isRedis(s.bus) && storeOk && !isPostgres(s.store)) {
    problems.push(`COLLOQUY_BUS=redis://… makes this node part of a cluster, whose nodes must share their store: set COLLOQUY_STORE=postgres://… (${s.store} belongs to one node)`);
  }
  if (isRedis(s.bus) && !s.secret) problems.push('COLLOQUY_SECRET: every node of a cluster must sign access tokens with the same secret; set it (32+ characters) on all of them');
  if (problems.length > 0) throw new ConfigError(problems);
}

interface StoreEngines {
  readonly store: ConversationStore;
  readonly tenancy: Tenancy;
  readonly desk: DeskStore;
  health(): Record<string, unknown>;
  close(): Promise<void>;
}

async function openStore(config: Config, metrics: Metrics, log: Logger): Promise<StoreEngines> {
  const s = config.settings;
  const observe = (store: { onBatch: ((size: number, ms: number) => void) | undefined }) => {
    store.onBatch = (size, ms) => {
      metrics.storeBatch.observe(size);
      metrics.storeCommitSeconds.observe(ms / 1000);
    };
  };
  if (isPostgres(s.store)) {
    const pool = await openPool(s.store, {
      max: s.pgPoolMax,
      onError: (err) => log.warn({ err }, 'postgres.connection_error'),
    }).catch((err: unknown) => {
      throw new ConfigError([`COLLOQUY_STORE: cannot use PostgreSQL at ${redactUrl(s.store)}: ${(err as Error).message}`]);
    });
    const store = new PostgresStore(pool);
    observe(store);
    return {
      store,
      tenancy: new PostgresTenancy(pool),
      desk: new PostgresDeskStore(pool),
      health: () => ({ connections: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, pending: store.pending }),
      close: async () => {
        await store.close();
        await pool.end();
      },
    };
  }
  if (s.store === 'sqlite') {
    // SQLite has one writer: this server. Several nodes share a PostgreSQL database instead.
    const unlock = lockDataDir(s.dataDir);
    let db;
    try {
      db = openDatabase(databasePath(s.dataDir), { synchronous: s.sqliteSynchronous });
    } catch (err) {
      unlock();
      throw err;
    }
    const store = new SqliteStore(db);
    observe(store);
    return {
      store,
      tenancy: new SqliteTenancy(db),
      desk: new SqliteDeskStore(db),
      health: () => ({ pending: store.pending }),
      close: async () => {
        await store.close();
        unlock();
      },
    };
  }
  const db = openDatabase(':memory:', { synchronous: 'normal' });
  const store = new MemoryStore();
  return { store, tenancy: new SqliteTenancy(db), desk: new MemoryDeskStore(), health: () => ({}), close: async () => void db.close() };
}

/** Tenancy and the desk's accounts where the CLI writes them: the node's database (SQLite file or PostgreSQL). */
export async function openTenancy(config: Config): Promise<{ tenancy: Tenancy; desk: DeskStore; close(): Promise<void> }> {
  const s = config.settings;
  if (isPostgres(s.store)) {
    const pool = await openPool(s.store, { max: 2, applicationName: 'colloquy-cli' });
    return { tenancy: new PostgresTenancy(pool), desk: new PostgresDeskStore(pool), close: () => pool.end() };
  }
  const db = openDatabase(databasePath(s.dataDir), { synchronous: s.sqliteSynchronous });
  return { tenancy: new SqliteTenancy(db), desk: new SqliteDeskStore(db), close: async () => void db.close() };
}

/** Build the ports' implementations for this node (connecting to PostgreSQL and Redis when configured). */
export async function createEngines(config: Config, options: EngineOptions): Promise<Engines> {
  checkEngines(config);
  const s = config.settings;
  const log = options.log ?? silentLogger;
  const stored = await openStore(config, options.metrics, log);
  if (isRedis(s.bus) && !options.bus) {
    const redis = new RedisConnections({ url: s.bus, prefix: s.redisPrefix, log });
    try {
      await redis.connect();
    } catch (err) {
      await stored.close();
      throw new ConfigError([`COLLOQUY_BUS: ${(err as Error).message} (${redactUrl(s.bus)})`]);
    }
    const bus = new RedisBus(redis, { node: options.node });
    const sequencer = new RedisSequencer(redis, { node: options.node, leaseMs: s.lockLeaseMs, log });
    return {
      store: stored.store,
      tenancy: stored.tenancy,
      desk: stored.desk,
      bus,
      sequencer,
      ephemeral: new RedisEphemeralStore(redis),
      rateLimiter: new RedisRateLimiter(redis, s.rateLimitBurst, s.rateLimitPerSec),
      presence: new RedisPresence(redis),
      idleTimers: (idleMs, onIdle) => new RedisIdleTimers(redis, options.clock, idleMs, onIdle, { log }),
      clustered: true,
      health: () => ({ store: stored.health(), redis: redis.ready ? 'ready' : 'reconnecting' }),
      async close() {
        await bus.close();
        await sequencer.close();
        await stored.close();
        await redis.close();
      },
    };
  }
  if (isPostgres(s.store) && !options.bus) log.warn('COLLOQUY_STORE is PostgreSQL but COLLOQUY_BUS is memory: run one node only, or set COLLOQUY_BUS=redis://… for a cluster');
  const bus = options.bus ?? new MemoryBus();
  const ephemeral = new MemoryEphemeralStore(options.clock);
  const presence = new MemoryPresence(options.clock);
  return {
    store: stored.store,
    tenancy: stored.tenancy,
    desk: stored.desk,
    bus,
    sequencer: new MemorySequencer(),
    ephemeral,
    rateLimiter: new MemoryRateLimiter(s.rateLimitBurst, s.rateLimitPerSec, options.clock),
    presence,
    idleTimers: undefined,
    clustered: false,
    health: () => ({ store: stored.health() }),
    async close() {
      await stored.close();
      if (!options.bus) await bus.close();
      await ephemeral.close();
      await presence.close();
    },
  };
}
