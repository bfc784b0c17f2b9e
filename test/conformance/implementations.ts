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
import { MemoryBus } from '../../src/core/memory/bus.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import type { BusCtx } from '../../src/core/testing/bus-suite.js';
import type { EphemeralCtx } from '../../src/core/testing/ephemeral-suite.js';
import type { SequencerCtx } from '../../src/core/testing/sequencer-suite.js';
import type { StoreCtx } from '../../src/core/testing/store-suite.js';
import { openDatabase, type OpenOptions } from '../../src/storage/sqlite/database.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';

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
];

export const sequencerImplementations: readonly Implementation<SequencerCtx>[] = [
  {
    name: 'MemorySequencer',
    setup: async () => {
      const sequencer = new MemorySequencer();
      return { ctx: { sequencer }, teardown: () => sequencer.close() };
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
];

export const ephemeralImplementations: readonly Implementation<EphemeralCtx>[] = [
  {
    name: 'MemoryEphemeralStore',
    setup: async () => {
      const kv = new MemoryEphemeralStore();
      return { ctx: { kv }, teardown: () => kv.close() };
    },
  },
];
