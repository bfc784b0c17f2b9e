/**
 * PostgreSQL schema, as ordered migrations. It is the SQLite schema (src/storage/sqlite/migrations.ts)
 * table for table and column for column, with the same versions and names; a test checks that they stay
 * equivalent (test/conformance/schema-equivalence.test.ts). Integers that SQLite stores as INTEGER are
 * BIGINT here (seqs, versions, fences, epoch ms); JSON stays TEXT, written and read exactly as the core
 * produced it. Never edit a released migration: add a new one to both files.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'conversation log and state',
    sql: `
      CREATE TABLE conversations (
        no       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id       TEXT NOT NULL UNIQUE,
        bot_id   TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        version  BIGINT NOT NULL DEFAULT 0,
        fence    BIGINT NOT NULL DEFAULT 0,
        state    TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX conversations_bot_user ON conversations (bot_id, user_id);
      CREATE TABLE appends (
        conv      BIGINT NOT NULL,
        last_seq  BIGINT NOT NULL,
        last_msg  BIGINT NOT NULL,
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
        created_at    BIGINT NOT NULL
      );
      CREATE TABLE blocked_users (
        bot_id     TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        identity   TEXT,
        created_at BIGINT NOT NULL,
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
      CREATE TABLE tenancy_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
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
        created_at       BIGINT NOT NULL
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
        queued_at  BIGINT NOT NULL,
        record     TEXT NOT NULL
      );
      CREATE INDEX handoffs_waiting ON handoffs (queued_at, id);
    `,
  },
];

/** Name of the append function below; a new body gets a new name, so nodes of two versions can coexist. */
export const APPEND_FUNCTION = 'colloquy_append_v1';

/**
 * The group commit of one batch, in one round trip and one transaction. PostgreSQL has several writers
 * (every node), so each conversation of the batch is locked (`FOR UPDATE`, in the order given: callers
 * sort by id, so two batches never wait on each other in a cycle) and checked against what its writer
 * planned from: the log head, the state version and the lowest fencing token used. A conversation that
 * passes gets its append rows and (if they changed) its version, state and fence; one that does not is
 * reported stale and nothing of it is written — its writer reloads it and plans again. Each statement of a
 * PL/pgSQL function sees what committed before it ran, so the head read after the lock is current.
 *
 * Not a migration: created (if missing) at every start, after the migrations, because it holds no data.
 */
export const FUNCTIONS: readonly { readonly name: string; readonly sql: string }[] = [
  {
    name: APPEND_FUNCTION,
    sql: `
      CREATE FUNCTION ${APPEND_FUNCTION}(
        p_ids text[], p_bots text[], p_users text[], p_known boolean[],
        p_heads bigint[], p_versions bigint[], p_fence_min bigint[],
        p_new_versions bigint[], p_new_fences bigint[], p_states text[],
        p_counts int[], p_last_seqs bigint[], p_last_msgs bigint[], p_datas text[])
      RETURNS TABLE (o_i int, o_ok boolean, o_no bigint, o_head bigint, o_version bigint, o_fence bigint)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        k int;
        j int := 1;
        n int;
        v_no bigint;
        v_version bigint;
        v_fence bigint;
        v_head bigint;
      BEGIN
        FOR k IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
          n := p_counts[k];
          IF NOT p_known[k] THEN
            INSERT INTO conversations (id, bot_id, user_id) VALUES (p_ids[k], p_bots[k], p_users[k])
              ON CONFLICT (id) DO NOTHING;
          END IF;
          SELECT c.no, c.version, c.fence INTO v_no, v_version, v_fence
            FROM conversations c WHERE c.id = p_ids[k] FOR UPDATE;
          v_head := NULL;
          SELECT a.last_seq INTO v_head FROM appends a WHERE a.conv = v_no ORDER BY a.last_seq DESC LIMIT 1;
          v_head := coalesce(v_head, 0);
          IF v_no IS NULL OR v_head <> p_heads[k] OR v_version <> p_versions[k]
             OR (p_fence_min[k] IS NOT NULL AND p_fence_min[k] < v_fence) THEN
            o_i := k; o_ok := false; o_no := coalesce(v_no, 0); o_head := v_head; o_version := v_version; o_fence := v_fence;
            RETURN NEXT;
          ELSE
            IF n > 0 THEN
              INSERT INTO appends (conv, last_seq, last_msg, data)
                SELECT v_no, p_last_seqs[x], p_last_msgs[x], p_datas[x] FROM generate_series(j, j + n - 1) AS x;
              v_head := p_last_seqs[j + n - 1];
            END IF;
            IF p_new_versions[k] <> v_version OR p_new_fences[k] <> v_fence THEN
              UPDATE conversations c SET version = p_new_versions[k], fence = p_new_fences[k], state = coalesce(p_states[k], c.state)
                WHERE c.no = v_no;
            END IF;
            o_i := k; o_ok := true; o_no := v_no; o_head := v_head; o_version := p_new_versions[k]; o_fence := p_new_fences[k];
            RETURN NEXT;
          END IF;
          j := j + n;
        END LOOP;
      END
      $fn$;
    `,
  },
];
