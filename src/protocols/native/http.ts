import { bearer } from '../../auth/access-token.js';
import { credentialStamp, type AgentTokens } from '../../auth/agent-token.js';
import { verifyPassword } from '../../auth/passwords.js';
import type { Tickets } from '../../auth/tickets.js';
import { CoreError } from '../../core/errors.js';
import type { DeskStore } from '../../core/ports/desk-store.js';
import { guardedRoute, type HttpReply, type HttpRequest, type Route } from '../../core/ports/http.js';
import type { Logger } from '../../core/ports/logger.js';
import type { RateLimiter } from '../../core/ports/rate-limiter.js';

export interface AgentHttpDeps {
  readonly accounts: DeskStore;
  readonly tokens: AgentTokens;
  readonly tickets: Tickets;
  /** Sign-in attempts per agent id (a bucket: a burst, then one every few seconds). */
  readonly signIns: RateLimiter;
  readonly log: Logger;
}

const MAX_FIELD = 256;
const reply = (status: number, body: unknown, headers?: Record<string, string>): HttpReply => ({ status, body, ...(headers ? { headers } : {}) });
const errorReply = (err: CoreError): HttpReply => {
  const retryAfterMs = Number(err.data?.['retryAfterMs'] ?? 0);
  const headers = retryAfterMs > 0 ? { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } : undefined;
  return reply(err.spec.http, { errors: [{ msg: err.message, code: err.code }] }, headers);
};
const field = (body: unknown, name: string): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD ? v : undefined;
};
const header = (req: HttpRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The agent console's HTTP surface (docs/protocols/native.md §1):
 * `POST agent/login {id, password}` → an agent token; `POST agent/ticket` (bearer agent token) → a one-time
 * ticket for `GET /api/agent/ws?ticket=…`.
 */
export function agentRoutes(deps: AgentHttpDeps): Route[] {
  const guarded = guardedRoute(deps.log, 'agent.http_failed', errorReply);

  const login = async (req: HttpRequest): Promise<HttpReply> => {
    const id = field(req.body, 'id');
    const password = field(req.body, 'password');
    if (id === undefined || password === undefined) throw new CoreError('BAD_REQUEST', 'id and password are required.');
    // Counted per account whatever the outcome, so guessing one agent's password is slow from anywhere.
    const allowed = await deps.signIns.consume(`agent-login:${id.toLowerCase()}`);
    if (!allowed.ok) throw new CoreError('RATE_LIMITED', 'Too many sign-in attempts; wait before trying again.', { retryAfterMs: allowed.retryAfterMs });
    const account = await deps.accounts.agent(id);
    // The same work and the same answer for an unknown id and a wrong password.
    const ok = await verifyPassword(password, account?.passwordHash);
    if (!account || !ok) {
      deps.log.info({ agent: id.slice(0, 64) }, 'agent.login_refused');
      throw new CoreError('BAD_CREDENTIALS');
    }
    const issued = await deps.tokens.issue(account.id, account.passwordHash);
    deps.log.info({ agent: account.id }, 'agent.login');
    return reply(200, {
      token: issued.token,
      expiresAt: issued.expiresAt,
      agent: { id: account.id, name: account.name, queues: account.queues, capacity: account.capacity },
    });
  };

  const ticket = async (req: HttpRequest): Promise<HttpReply> => {
    const { agentId, credential } = await deps.tokens.verify(bearer(header(req, 'authorization')));
    const account = await deps.accounts.agent(agentId);
    if (!account) throw new CoreError('UNAUTHORIZED', 'This agent account no longer exists.');
    // A password set since the sign-in voids the token (someone else may have known the old one).
    if (credential !== credentialStamp(account.passwordHash)) throw new CoreError('AGENT_PASSWORD_CHANGED');
    const sid = await deps.tickets.mintAgent(agentId, credential);
    const ws = req.baseUrl.replace(/^http/, 'ws');
    return reply(200, { ticket: sid, url: `${ws}/api/agent/ws?ticket=${encodeURIComponent(sid)}` });
  };

  return [
    { method: 'POST', path: 'agent/login', handle: guarded('login', login) },
    { method: 'POST', path: 'agent/ticket', handle: guarded('ticket', ticket) },
  ];
}
