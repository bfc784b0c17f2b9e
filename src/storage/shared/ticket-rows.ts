/**
 * The demo helpdesk's ticket row as both SQL stores select it: the shape of `StoredTicket` in
 * `src/helpdesk/tickets.ts` (storage does not import the rooms above it; the types meet structurally).
 */
export interface StoredTicket {
  no: number;
  requester: string;
  category: string;
  summary: string;
  details: string | null;
  priority: string;
  status: string;
  neededBy: string | null;
  createdAt: number;
}

/** The select list that yields a {@link StoredTicket} (quoted aliases: the same text for SQLite and PostgreSQL). */
export const TICKET_COLUMNS = 'no, requester, category, summary, details, priority, status, needed_by AS "neededBy", created_at AS "createdAt"';
