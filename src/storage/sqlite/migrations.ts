/**
 * SQLite schema, as ordered migrations. Each runs once, in a transaction, recorded in `schema_migrations`.
 * Never edit a released migration: add a new one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'conversation log and state',
    sql: `
      CREATE TABLE conversations (
        id            TEXT PRIMARY KEY,
        bot_id        TEXT NOT NULL,
        user_id       TEXT NOT NULL,
        head_seq      INTEGER NOT NULL DEFAULT 0,
        message_count INTEGER NOT NULL DEFAULT 0,
        last_at       INTEGER NOT NULL DEFAULT 0,
        version       INTEGER NOT NULL DEFAULT 0,
        fence         INTEGER NOT NULL DEFAULT 0,
        state         TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX conversations_bot_user ON conversations (bot_id, user_id);
      CREATE TABLE entries (
        conversation_id TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        id              TEXT NOT NULL,
        at              INTEGER NOT NULL,
        kind            TEXT NOT NULL,
        msg_no          INTEGER,
        origin_key      TEXT,
        data            TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX entries_origin ON entries (conversation_id, origin_key) WHERE origin_key IS NOT NULL;
      CREATE INDEX entries_messages ON entries (conversation_id, msg_no) WHERE msg_no IS NOT NULL;
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
];
