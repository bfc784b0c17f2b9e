import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TICKET_COLUMNS, type StoredTicket } from '../shared/ticket-rows.js';
import type { Db } from './database.js';

/**
 * The demo bot's helpdesk tickets, structurally the `TicketStore` of `src/helpdesk/tickets.ts` (storage does
 * not import the rooms above it). The ticket service stands for an external system the bot calls over HTTP,
 * so its data is not conversation state: it lives in its own database file (`helpdesk.db` in the data
 * directory) with its own schema version, and the conversation store's schema — kept identical between
 * SQLite and PostgreSQL — does not carry it.
 */

/** Schema steps of the ticket database, applied in order and counted in `PRAGMA user_version`. */
const SCHEMA: readonly string[] = [
  `CREATE TABLE helpdesk_tickets (
     no         INTEGER PRIMARY KEY,
     requester  TEXT NOT NULL,
     category   TEXT NOT NULL,
     summary    TEXT NOT NULL,
     details    TEXT,
     priority   TEXT NOT NULL,
     status     TEXT NOT NULL,
     needed_by  TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX helpdesk_tickets_requester ON helpdesk_tickets (requester, no);`,
];

/** Open (creating and migrating if needed) the ticket database; `:memory:` for a throw-away one. */
export function openTicketDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < SCHEMA.length; v++) db.exec(SCHEMA[v]!);
    if (version < SCHEMA.length) db.pragma(`user_version = ${SCHEMA.length}`);
  }).immediate();
  return db;
}

export class SqliteTickets {
  private readonly insert;
  private readonly byNo;
  private readonly byRequester;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO helpdesk_tickets (requester, category, summary, details, priority, status, needed_by, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?) RETURNING ${TICKET_COLUMNS}`,
    );
    this.byNo = db.prepare(`SELECT ${TICKET_COLUMNS} FROM helpdesk_tickets WHERE no = ?`);
    this.byRequester = db.prepare(`SELECT ${TICKET_COLUMNS} FROM helpdesk_tickets WHERE requester = ? ORDER BY no DESC LIMIT ?`);
  }

  create(t: { requester: string; category: string; summary: string; details?: string; priority: string; neededBy?: string }, at: number): StoredTicket {
    return this.insert.get(t.requester, t.category, t.summary, t.details ?? null, t.priority, t.neededBy ?? null, at) as StoredTicket;
  }

  get(no: number): StoredTicket | null {
    return (this.byNo.get(no) as StoredTicket | undefined) ?? null;
  }

  list(requester: string, limit: number): StoredTicket[] {
    return this.byRequester.all(requester, limit) as StoredTicket[];
  }
}
