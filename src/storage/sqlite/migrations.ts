/**
 * SQLite schema, as ordered migrations. Each runs once, in a transaction, recorded in `schema_migrations`.
 * Never edit a released migration: add a new one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'conversation log and state',
    sql: `
      -- Only what cannot be derived from the log: head, message count and last activity are read from the
      -- newest entries when a conversation is loaded, so a turn that changes no state writes entries only.
      CREATE TABLE conversations (
        no       INTEGER PRIMARY KEY,
        id       TEXT NOT NULL UNIQUE,
        bot_id   TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        version  INTEGER NOT NULL DEFAULT 0,
        fence    INTEGER NOT NULL DEFAULT 0,
        state    TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX conversations_bot_user ON conversations (bot_id, user_id);
      -- One row per append (a turn's entries, in order, as a JSON array): a rowid table, so new rows go at
      -- its end. The one index uses the conversation's integer key. A turn is thus one row and one index
      -- entry, whatever number of entries it has.
      CREATE TABLE appends (
        conv      INTEGER NOT NULL,
        last_seq  INTEGER NOT NULL,
        last_msg  INTEGER NOT NULL,
        data      TEXT NOT NULL
      );
      CREATE UNIQUE INDEX appends_seq ON appends (conv, last_seq);
    `,
  },
  {
    version: 2,
    name: 'tenancy created at run time',
    sql: `
      CREATE TABLE apps (
        client_id     TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        client_secret TEXT,
        public_key    TEXT,
        algorithms    TEXT NOT NULL,
        bot_ids       TEXT NOT NULL,
        created_at    INTEGER NOT NULL
      );
      CREATE TABLE blocked_users (
        bot_id     TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        identity   TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (bot_id, user_id)
      );
      CREATE TABLE bot_flags (
        bot_id    TEXT PRIMARY KEY,
        suspended INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 3,
    name: 'tenancy revision',
    sql: `
      CREATE TABLE tenancy_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO tenancy_revision (id, revision) VALUES (1, 0);
    `,
  },
  {
    version: 4,
    name: 'aisera channels',
    sql: `
      CREATE TABLE channels (
        id               TEXT PRIMARY KEY,
        bot_id           TEXT NOT NULL,
        name             TEXT NOT NULL,
        key_hash         TEXT NOT NULL,
        origins          TEXT NOT NULL,
        idle_timeout_sec INTEGER,
        created_at       INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'live-agent desk',
    sql: `
      CREATE TABLE agents (
        id         TEXT PRIMARY KEY,
        account    TEXT NOT NULL
      );
      CREATE TABLE handoffs (
        id         TEXT PRIMARY KEY,
        queued_at  INTEGER NOT NULL,
        record     TEXT NOT NULL
      );
      CREATE INDEX handoffs_waiting ON handoffs (queued_at, id);
    `,
  },
];
