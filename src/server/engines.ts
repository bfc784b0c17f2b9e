import { join } from 'node:path';
import { MemoryBus } from '../core/memory/bus.js';
import { MemoryEphemeralStore } from '../core/memory/ephemeral.js';
import { MemoryRateLimiter } from '../core/memory/rate-limiter.js';
import { MemorySequencer } from '../core/memory/sequencer.js';
import { MemoryStore } from '../core/memory/store.js';
import type { Bus } from '../core/ports/bus.js';
import type { Clock } from '../core/ports/clock.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import type { RateLimiter } from '../core/ports/rate-limiter.js';
import type { Sequencer } from '../core/ports/sequencer.js';
import type { ConversationStore } from '../core/ports/store.js';
import type { Metrics } from '../gateway/metrics.js';
import { openDatabase } from '../storage/sqlite/database.js';
import { SqliteStore } from '../storage/sqlite/store.js';
import { SqliteTenancy } from '../storage/sqlite/tenancy.js';
import { ConfigError, type Config } from './config/load.js';
import { lockDataDir } from './lock.js';

/** The implementations of the ports, chosen by configuration (`COLLOQUY_STORE`, `COLLOQUY_BUS`). */
export interface Engines {
  readonly store: ConversationStore;
  /** Run-time tenancy (apps, blocks, suspensions) shared with the CLI. */
  readonly tenancy: SqliteTenancy;
  readonly bus: Bus;
  readonly sequencer: Sequencer;
  readonly ephemeral: EphemeralStore;
  readonly rateLimiter: RateLimiter;
  /** After the node stopped using them: flush and release everything. */
  close(): Promise<void>;
}

export interface EngineOptions {
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** A bus shared by several nodes of one process (cluster tests); not closed by this node. */
  readonly bus?: Bus;
}

export const databasePath = (dataDir: string): string => join(dataDir, 'colloquy.db');

function openStore(config: Config, metrics: Metrics): { store: ConversationStore; tenancy: SqliteTenancy; close: () => Promise<void> } {
  const s = config.settings;
  if (s.store === 'sqlite') {
    const unlock = lockDataDir(s.dataDir);
    let db;
    try {
      db = openDatabase(databasePath(s.dataDir), { synchronous: s.sqliteSynchronous });
    } catch (err) {
      unlock();
      throw err;
    }
    const store = new SqliteStore(db);
    store.onBatch = (size, ms) => {
      metrics.storeBatch.observe(size);
      metrics.storeCommitSeconds.observe(ms / 1000);
    };
    return {
      store,
      tenancy: new SqliteTenancy(db),
      close: async () => {
        await store.close();
        unlock();
      },
    };
  }
  if (s.store === 'memory') {
    const db = openDatabase(':memory:', { synchronous: 'normal' });
    const store = new MemoryStore();
    return { store, tenancy: new SqliteTenancy(db), close: async () => void db.close() };
  }
  throw new ConfigError([`COLLOQUY_STORE: "${s.store}" is not supported (use sqlite or memory)`]);
}

/** Build the ports' implementations for this node. */
export function createEngines(config: Config, options: EngineOptions): Engines {
  const s = config.settings;
  if (!options.bus && s.bus !== 'memory') throw new ConfigError([`COLLOQUY_BUS: "${s.bus}" is not supported (use memory)`]);
  const { store, tenancy, close: closeStore } = openStore(config, options.metrics);
  const bus = options.bus ?? new MemoryBus();
  const ephemeral = new MemoryEphemeralStore(options.clock);
  return {
    store,
    tenancy,
    bus,
    sequencer: new MemorySequencer(),
    ephemeral,
    rateLimiter: new MemoryRateLimiter(s.rateLimitBurst, s.rateLimitPerSec, options.clock),
    async close() {
      await closeStore();
      if (!options.bus) await bus.close();
      await ephemeral.close();
    },
  };
}
