/**
 * The SQLite and PostgreSQL schemas are the same schema: the same migrations (versions and names), tables,
 * columns (name, type family, nullability, primary key) and indexes (columns, uniqueness). A change to one
 * migration file without the other fails here.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { openPool } from '../../src/storage/postgres/database.js';
import { openDatabase } from '../../src/storage/sqlite/database.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { need, SERVICES } from '../support/services.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { tempDir } from './implementations.js';

const available = need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available());

interface Column {
  readonly name: string;
  readonly type: 'integer' | 'text' | 'real' | 'blob';
  readonly notNull: boolean;
  readonly primaryKey: boolean;
}
interface Table {
  readonly columns: Column[];
  /** "col1,col2" plus " unique" — primary keys excluded (they are in the columns). */
  readonly indexes: string[];
}
type Schema = Record<string, Table>;

const family = (declared: string): Column['type'] => {
  const t = declared.toLowerCase();
  if (/int/.test(t)) return 'integer';
  if (/char|text|clob/.test(t)) return 'text';
  if (/real|floa|doub|numeric/.test(t)) return 'real';
  return 'blob';
};

function sqliteSchema(): Schema {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'schema.db'), { synchronous: 'normal' });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    const out: Schema = {};
    for (const { name } of tables) {
      const cols = db.prepare(`PRAGMA table_info(${name})`).all() as { name: string; type: string; notnull: number; pk: number }[];
      const indexes = (db.prepare(`PRAGMA index_list(${name})`).all() as { name: string; unique: number; origin: string }[])
        .filter((i) => i.origin !== 'pk')
        .map((i) => {
          const on = (db.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name).join(',');
          return `${on}${i.unique ? ' unique' : ''}`;
        })
        .sort();
      out[name] = {
        columns: cols.map((c) => ({ name: c.name, type: family(c.type), notNull: c.notnull === 1 || c.pk > 0, primaryKey: c.pk > 0 })),
        indexes,
      };
    }
    return out;
  } finally {
    db.close();
    dir.remove();
  }
}

async function postgresSchema(url: string): Promise<Schema> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; pk: boolean }>(`
      SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
             EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                       JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
                      WHERE tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name) AS pk
        FROM information_schema.columns c WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position`);
    const idx = await client.query<{ table: string; columns: string; unique: boolean }>(`
      SELECT t.relname AS table, string_agg(a.attname, ',' ORDER BY k.n) AS columns, ix.indisunique AS unique
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = current_schema()
        CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE NOT ix.indisprimary
       GROUP BY ix.indexrelid, t.relname, ix.indisunique`);
    const out: Schema = {};
    for (const c of cols.rows) {
      const table = (out[c.table_name] ??= { columns: [], indexes: [] });
      table.columns.push({ name: c.column_name, type: family(c.data_type), notNull: c.is_nullable === 'NO', primaryKey: c.pk });
    }
    for (const i of idx.rows) out[i.table]!.indexes.push(`${i.columns}${i.unique ? ' unique' : ''}`);
    for (const t of Object.values(out)) t.indexes.sort();
    return out;
  } finally {
    await client.end();
  }
}

let db: TestDatabase | undefined;
beforeAll(async () => {
  if (available) db = await createTestDatabase('schema');
});
afterAll(async () => {
  await db?.drop();
});

test('both stores have the same migrations, in the same order', () => {
  expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(SQLITE_MIGRATIONS.map((m) => [m.version, m.name]));
});

test.skipIf(!available)('the migrated schemas have the same tables, columns and indexes', async () => {
  const pool = await openPool(db!.url, { max: 1 });
  await pool.end();
  const sqlite = sqliteSchema();
  const postgres = await postgresSchema(db!.url);
  expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
  for (const name of Object.keys(sqlite)) expect({ table: name, ...postgres[name] }).toEqual({ table: name, ...sqlite[name] });
});
