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
      -- A rowid table: new entries append at its end. Its index uses the conversation's integer key,
      -- so each append touches few pages however many conversations write at once.
      CREATE TABLE entries (
        conv    INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        msg_no  INTEGER,
        origin  INTEGER,
        id      TEXT NOT NULL,
        at      INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        data    TEXT NOT NULL
      );
      -- One index. History pages walk it backwards from the newest; duplicates are found among the newest
      -- user messages (src/storage/sqlite/origins.ts). More indexes would cost every append a write.
      CREATE UNIQUE INDEX entries_seq ON entries (conv, seq);
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
