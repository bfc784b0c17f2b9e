import pg from 'pg';
import { FUNCTIONS, MIGRATIONS } from './migrations.js';

export type Pool = pg.Pool;

export interface PoolOptions {
  /** Connections at most (reads and group commits share them). */
  readonly max: number;
  /** Reported to PostgreSQL as `application_name` (visible in `pg_stat_activity`). */
  readonly applicationName?: string;
  /** Errors of idle connections (the server restarted, the network dropped): logged, then replaced. */
  readonly onError?: (err: Error) => void;
}

/** Every 64-bit integer here (seqs, versions, fences, epoch ms) fits a double: read BIGINT as a number. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connection pool to `url` (postgres://…); nothing is connected until the first query. */
export function createPool(url: string, options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    application_name: options.applicationName ?? 'colloquy',
    types,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', (err) => options.onError?.(err));
  return pool;
}

/** Any two processes migrating the same database wait for each other on this transaction-scoped lock. */
const MIGRATION_LOCK = 0x636f6c6c; // "coll"

/**
 * Bring the schema up to date, then create the functions that are missing. Runs in one transaction under
 * an advisory lock, so nodes starting together (and the CLI) migrate exactly once. Returns the versions
 * it applied.
 */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  const ran: number[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      ran.push(m.version);
    }
    for (const f of FUNCTIONS) {
      const exists = await client.query(
        'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = $1 AND n.nspname = current_schema()',
        [f.name],
      );
      if (exists.rowCount === 0) await client.query(f.sql);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return ran;
}

/** A pool to `url` with the schema up to date; closed again if migrating fails. */
export async function openPool(url: string, options: PoolOptions): Promise<Pool> {
  const pool = createPool(url, options);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return pool;
}
