import { join } from 'node:path';
import type { Logger } from '../core/ports/logger.js';
import type { TicketStore } from '../helpdesk/tickets.js';
import { createPool } from '../storage/postgres/database.js';
import { PostgresTickets } from '../storage/postgres/tickets.js';
import { openTicketDatabase, SqliteTickets } from '../storage/sqlite/tickets.js';
import { isPostgres } from './engines.js';

export interface HelpdeskTickets {
  readonly store: TicketStore;
  close(): Promise<void>;
}

/**
 * The demo helpdesk's ticket table beside the conversation store: a file of its own in the data directory
 * on one node, a table in the shared PostgreSQL database in a cluster (every node must find every ticket).
 */
export async function openHelpdeskTickets(settings: { store: string; dataDir: string }, log: Logger): Promise<HelpdeskTickets> {
  if (isPostgres(settings.store)) {
    const pool = createPool(settings.store, { max: 2, applicationName: 'colloquy-helpdesk', onError: (err) => log.warn({ err }, 'helpdesk.postgres_error') });
    try {
      return { store: await PostgresTickets.open(pool), close: () => pool.end() };
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }
  const db = openTicketDatabase(settings.store === 'memory' ? ':memory:' : join(settings.dataDir, 'helpdesk.db'));
  return { store: new SqliteTickets(db), close: async () => void db.close() };
}
