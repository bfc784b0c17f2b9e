/**
 * Throw-away PostgreSQL databases for tests: one per test file or suite (unique names, so parallel test
 * files never collide), dropped at the end. The server runs on 127.0.0.1:5432 with trust auth.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env['COLLOQUY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  /** postgres://… of the new database. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Run one statement on the admin database. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(tag = 'test'): Promise<TestDatabase> {
  const name = `colloquy_${tag.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
