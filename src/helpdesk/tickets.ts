import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/ports/clock.js';
import type { HttpReply, HttpRequest, Route } from '../core/ports/http.js';

/**
 * The helpdesk ticket service of the demo bot: a small HTTP API over a ticket table, so that the demo's
 * ticket flows are real (the bot's HTTP nodes create and read tickets through it, like any external
 * system). Mounted under the API prefixes at `helpdesk/tickets`; every call needs the bearer token the
 * server hands the bot as the secret `HELPDESK_TOKEN`.
 */

export const CATEGORIES = ['incident', 'hardware', 'access', 'request'] as const;
export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type TicketStatus = 'open' | 'in progress' | 'resolved' | 'closed';

export interface NewTicket {
  readonly requester: string;
  readonly category: (typeof CATEGORIES)[number];
  readonly summary: string;
  readonly details?: string;
  readonly priority: (typeof PRIORITIES)[number];
  readonly neededBy?: string;
}

export interface Ticket extends NewTicket {
  /** `HD-1001`, … */
  readonly id: string;
  readonly status: TicketStatus;
  readonly createdAt: number;
}

/** A ticket as a store keeps it: its number, and null where an optional field is absent. */
export interface StoredTicket {
  readonly no: number;
  readonly requester: string;
  readonly category: string;
  readonly summary: string;
  readonly details: string | null;
  readonly priority: string;
  readonly status: string;
  readonly neededBy: string | null;
  readonly createdAt: number;
}

type Maybe<T> = T | Promise<T>;

/**
 * Where tickets are kept: a SQLite table on one node (`storage/sqlite/tickets.ts`), a PostgreSQL table in a
 * cluster (`storage/postgres/tickets.ts`), so a ticket created through any node is found through every node.
 * New tickets are `open`.
 */
export interface TicketStore {
  create(t: NewTicket, at: number): Maybe<StoredTicket>;
  get(no: number): Maybe<StoredTicket | null>;
  /** The requester's tickets, newest first. */
  list(requester: string, limit: number): Maybe<StoredTicket[]>;
}

/** Ticket numbers are shown from 1001 up: `HD-1001` is the first. */
const FIRST = 1000;
const numberOf = (id: string): number | null => {
  const m = /^HD-(\d{1,15})$/.exec(id);
  const no = m ? Number(m[1]) - FIRST : 0;
  return no > 0 ? no : null;
};

export const ticketOf = (r: StoredTicket): Ticket => ({
  id: `HD-${FIRST + r.no}`,
  requester: r.requester,
  category: r.category as Ticket['category'],
  summary: r.summary,
  ...(r.details !== null ? { details: r.details } : {}),
  priority: r.priority as Ticket['priority'],
  status: r.status as TicketStatus,
  ...(r.neededBy !== null ? { neededBy: r.neededBy } : {}),
  createdAt: r.createdAt,
});

const reply = (status: number, body: unknown): HttpReply => ({ status, body });
const problem = (status: number, msg: string, code: string): HttpReply => reply(status, { errors: [{ msg, code }] });

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.trim().length > 0 && v.length <= max ? v.trim() : undefined);

/** A ticket as the API shows it (with the day it was opened, for people). */
const view = (r: StoredTicket) => {
  const t = ticketOf(r);
  return { ...t, openedOn: new Date(t.createdAt).toISOString().slice(0, 10) };
};

function parseNew(body: unknown): NewTicket | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  const requester = str(b['requester'], 200);
  const summary = str(b['summary'], 300);
  const category = b['category'] ?? 'incident';
  const priority = b['priority'] ?? 'normal';
  if (!requester) return '"requester" is required';
  if (!summary) return '"summary" is required (at most 300 characters)';
  if (!CATEGORIES.includes(category as NewTicket['category'])) return `"category" must be one of ${CATEGORIES.join(', ')}`;
  if (!PRIORITIES.includes(priority as NewTicket['priority'])) return `"priority" must be one of ${PRIORITIES.join(', ')}`;
  const details = b['details'] === undefined ? undefined : str(b['details'], 5000);
  const neededBy = b['neededBy'] === undefined ? undefined : str(b['neededBy'], 10);
  if (neededBy !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(neededBy)) return '"neededBy" must be YYYY-MM-DD';
  return {
    requester,
    summary,
    category: category as NewTicket['category'],
    priority: priority as NewTicket['priority'],
    ...(details ? { details } : {}),
    ...(neededBy ? { neededBy } : {}),
  };
}

/** The token a server hands its bots for its own ticket service: derived from the server secret. */
export const helpdeskToken = (serverSecret: string): string => createHash('sha256').update(`colloquy-helpdesk:${serverSecret}`).digest('base64url');

export function helpdeskRoutes(store: TicketStore, token: string, clock: Clock): Route[] {
  const expected = Buffer.from(`Bearer ${token}`);
  const authorised = (req: HttpRequest): boolean => {
    const h = req.headers['authorization'];
    const got = Buffer.from(Array.isArray(h) ? (h[0] ?? '') : (h ?? ''));
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  const guarded = (fn: (req: HttpRequest) => HttpReply | Promise<HttpReply>) => async (req: HttpRequest) =>
    authorised(req) ? fn(req) : problem(401, 'A valid helpdesk token is required.', 'UNAUTHORIZED');

  return [
    {
      method: 'POST',
      path: 'helpdesk/tickets',
      handle: guarded(async (req) => {
        const t = parseNew(req.body);
        if (typeof t === 'string') return problem(400, t, 'BAD_REQUEST');
        return reply(201, view(await store.create(t, clock.now())));
      }),
    },
    {
      method: 'GET',
      path: 'helpdesk/tickets',
      handle: guarded(async (req) => {
        const requester = str(req.query['requester'], 200);
        if (!requester) return problem(400, '"requester" is required', 'BAD_REQUEST');
        return reply(200, { tickets: (await store.list(requester, 20)).map(view) });
      }),
    },
    {
      method: 'GET',
      path: 'helpdesk/tickets/:id',
      handle: guarded(async (req) => {
        const no = numberOf(String(req.params['id'] ?? '').toUpperCase());
        const t = no === null ? null : await store.get(no);
        const requester = str(req.query['requester'], 200);
        // Someone else's ticket is as unknown as a missing one.
        if (!t || (requester !== undefined && t.requester !== requester)) return problem(404, 'No such ticket.', 'NOT_FOUND');
        return reply(200, view(t));
      }),
    },
  ];
}
