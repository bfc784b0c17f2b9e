import type { Pool } from './database.js';

/**
 * The demo bot's helpdesk tickets on PostgreSQL: what `storage/sqlite/tickets.ts` keeps in `helpdesk.db`,
 * for a cluster, where every node must see the tickets any node created. Like the SQLite file, the table is
 * the ticket service's own (an "external system" the bot calls), not part of the conversation store's
 * migrations; it is created here, idempotently, when the service opens.
 */

type Category = 'incident' | 'hardware' | 'access' | 'request';
type Priority = 'low' | 'normal' | 'high';
type Status = 'open' | 'in progress' | 'resolved' | 'closed';

interface Row {
  no: number;
  requester: string;
  category: string;
  summary: string;
  details: string | null;
  priority: string;
  status: string;
  needed_by: string | null;
  created_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS helpdesk_tickets (
    no         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requester  TEXT NOT NULL,
    category   TEXT NOT NULL,
    summary    TEXT NOT NULL,
    details    TEXT,
    priority   TEXT NOT NULL,
    status     TEXT NOT NULL,
    needed_by  TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS helpdesk_tickets_requester ON helpdesk_tickets (requester, no);`;

/** Nodes starting together create the table once (an advisory lock around the idempotent DDL). */
const SCHEMA_LOCK = 0x68656c70; // "help"

const FIRST = 1000;
const idOf = (no: number) => `HD-${FIRST + no}`;
const noOf = (id: string): number | null => {
  const m = /^HD-(\d{1,15})$/.exec(id);
  return m ? Number(m[1]) - FIRST : null;
};

const ticket = (r: Row) => ({
  id: idOf(r.no),
  requester: r.requester,
  category: r.category as Category,
  summary: r.summary,
  ...(r.details !== null ? { details: r.details } : {}),
  priority: r.priority as Priority,
  status: r.status as Status,
  ...(r.needed_by !== null ? { neededBy: r.needed_by } : {}),
  createdAt: r.created_at,
});

export class PostgresTickets {
  private constructor(private readonly pool: Pool) {}

  static async open(pool: Pool): Promise<PostgresTickets> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return new PostgresTickets(pool);
  }

  async create(t: { requester: string; category: Category; summary: string; details?: string; priority: Priority; neededBy?: string }, at: number) {
    const { rows } = await this.pool.query<Row>(
      'INSERT INTO helpdesk_tickets (requester, category, summary, details, priority, status, needed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *',
      [t.requester, t.category, t.summary, t.details ?? null, t.priority, 'open', t.neededBy ?? null, at],
    );
    return ticket(rows[0]!);
  }

  async get(id: string) {
    const no = noOf(id);
    if (no === null || no < 1) return null;
    const { rows } = await this.pool.query<Row>('SELECT * FROM helpdesk_tickets WHERE no = $1', [no]);
    return rows[0] ? ticket(rows[0]) : null;
  }

  async list(requester: string, limit: number) {
    const { rows } = await this.pool.query<Row>('SELECT * FROM helpdesk_tickets WHERE requester = $1 ORDER BY no DESC LIMIT $2', [requester, limit]);
    return rows.map(ticket);
  }
}
