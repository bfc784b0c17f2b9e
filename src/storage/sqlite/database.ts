import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** `full`: commits survive power loss; `normal`: they survive a process crash. */
  readonly synchronous: 'full' | 'normal';
}

/** Open (creating if needed) the SQLite database in WAL mode and bring its schema up to date. */
export function openDatabase(path: string, options: OpenOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  enableWal(db);
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/**
 * Switch to WAL. When several processes open the same fresh file at once, SQLite can answer this pragma
 * with SQLITE_BUSY without waiting on the busy timeout, so retry for a while.
 */
function enableWal(db: Db): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 250) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

export function migrate(db: Db): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const ran: number[] = [];
  for (const m of MIGRATIONS) {
    // Checked inside the write transaction, so a CLI and a server starting together migrate once.
    db.transaction(() => {
      if (isApplied.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      ran.push(m.version);
    }).immediate();
  }
  return ran;
}
