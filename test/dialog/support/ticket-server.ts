import { createServer, type Server } from 'node:http';
import type { Route } from '../../../src/core/ports/http.js';
import type { Clock } from '../../../src/core/ports/clock.js';
import { helpdeskRoutes, helpdeskToken } from '../../../src/helpdesk/tickets.js';
import { openTicketDatabase, SqliteTickets } from '../../../src/storage/sqlite/tickets.js';

/**
 * A real local HTTP server for the dialog tests' HTTP nodes: the helpdesk ticket service (on a throw-away
 * SQLite database) plus routes a test adds (a slow one, a failing one), all under `/api/`.
 */
export interface TestHttpServer {
  readonly url: string;
  readonly token: string;
  /** Requests received, `METHOD /path?query` with their authorization header. */
  readonly requests: { line: string; authorization: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

export async function startTicketServer(clock: Clock, extra: Route[] = []): Promise<TestHttpServer> {
  const token = helpdeskToken('test-server-secret');
  const db = openTicketDatabase(':memory:');
  const routes = [...helpdeskRoutes(new SqliteTickets(db), token, clock), ...extra];
  const requests: TestHttpServer['requests'] = [];
  const match = (pattern: string, path: string): Record<string, string> | null => {
    const a = pattern.split('/');
    const b = path.split('/');
    if (a.length !== b.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < a.length; i++) {
      if (a[i]!.startsWith(':')) params[a[i]!.slice(1)] = decodeURIComponent(b[i]!);
      else if (a[i] !== b[i]) return null;
    }
    return params;
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({ line: `${req.method} ${url.pathname}${url.search}`, authorization: req.headers.authorization, body });
      const path = url.pathname.replace(/^\/api\//, '');
      for (const r of routes) {
        const params = r.method === req.method ? match(r.path, path) : null;
        if (!params) continue;
        void r
          .handle({ headers: req.headers, query: Object.fromEntries(url.searchParams), params, body, baseUrl: '' })
          .then((reply) => {
            res.writeHead(reply.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(reply.body));
          });
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"msg":"not found"}]}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        db.close();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
