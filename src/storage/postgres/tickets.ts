import { TICKET_COLUMNS, type StoredTicket } from '../shared/ticket-rows.js';
import type { Pool } from './database.js';

/**
 * The demo bot's helpdesk tickets on PostgreSQL: what `storage/sqlite/tickets.ts` keeps in `helpdesk.db`,
 * for a cluster, where every node must see the tickets any node created. Like the SQLite file, the table is
 * the ticket service's own (an "external system" the bot calls), not part of the conversation store's
 * migrations; it is created here, idempotently, when the service opens.
 */

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

  async create(t: { requester: string; category: string; summary: string; details?: string; priority: string; neededBy?: string }, at: number): Promise<StoredTicket> {
    const { rows } = await this.pool.query<StoredTicket>(
      `INSERT INTO helpdesk_tickets (requester, category, summary, details, priority, status, needed_by, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING ${TICKET_COLUMNS}`,
      [t.requester, t.category, t.summary, t.details ?? null, t.priority, t.neededBy ?? null, at],
    );
    return rows[0]!;
  }

  async get(no: number): Promise<StoredTicket | null> {
    const { rows } = await this.pool.query<StoredTicket>(`SELECT ${TICKET_COLUMNS} FROM helpdesk_tickets WHERE no = $1`, [no]);
    return rows[0] ?? null;
  }

  async list(requester: string, limit: number): Promise<StoredTicket[]> {
    const { rows } = await this.pool.query<StoredTicket>(`SELECT ${TICKET_COLUMNS} FROM helpdesk_tickets WHERE requester = $1 ORDER BY no DESC LIMIT $2`, [requester, limit]);
    return rows;
  }
}
