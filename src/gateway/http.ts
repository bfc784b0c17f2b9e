import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { CoreError } from '../core/errors.js';
import type { Route } from '../core/ports/http.js';
import type { Metrics } from './metrics.js';

export interface HttpSettings {
  readonly bodyLimit: number;
  readonly trustProxy: boolean;
  /** Base URL clients reach us at; empty to derive from each request. */
  readonly publicUrl: string;
  readonly originAllowed: (origin: string | undefined, host: string | undefined) => boolean;
}

export interface HttpDeps {
  readonly settings: HttpSettings;
  readonly apiRoutes: readonly Route[];
  readonly metrics: Metrics;
  readonly log: PinoLogger;
  /** Health as reported by `/healthz`; `ok: false` answers 503 (e.g. while draining). */
  readonly health: () => { ok: boolean; [k: string]: unknown };
}

/** The API is served under both prefixes the Kore Web SDK and Kore's docs use (reference §A.0). */
export const API_PREFIXES = ['/api/', '/api/1.1/'] as const;

export const errorBody = (err: CoreError) => ({ errors: [{ msg: err.message, code: err.code }] });

/** `origin` allowed by the list, or the page is on this very server (same origin). */
export function originPolicy(allowed: readonly string[]) {
  const any = allowed.includes('*');
  const set = new Set(allowed);
  return (origin: string | undefined, host: string | undefined): boolean => {
    if (origin === undefined || any || set.has(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  };
}

/** Where clients of this request reach us: the configured public URL, else this request's own origin. */
export function baseUrl(req: FastifyRequest, publicUrl: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}

/** The HTTP side of the gateway: CORS, the protocols' routes, health and metrics, one error shape. */
export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const { settings, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    trustProxy: settings.trustProxy,
    return503OnClosing: true,
  });

  // Routes that check origins themselves (per channel), also for their CORS preflight.
  const ownOriginPaths = new Set(deps.apiRoutes.filter((r) => r.ownOrigins).flatMap((r) => API_PREFIXES.map((p) => p + r.path)));
  app.addHook('onRequest', async (req, reply) => {
    if ((req.routeOptions.config as { ownOrigins?: boolean } | undefined)?.ownOrigins) return;
    if (req.method === 'OPTIONS' && ownOriginPaths.has(req.url.split('?')[0]!)) return;
    if (!settings.originAllowed(req.headers.origin, req.headers.host)) {
      return reply.code(403).send(errorBody(new CoreError('ORIGIN_NOT_ALLOWED')));
    }
  });
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin === undefined ? false : true),
    methods: ['GET', 'POST', 'PUT', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'accept'],
    maxAge: 600,
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    if (reply.statusCode >= 500) req.log.warn({ url: req.url.split('?')[0], status: reply.statusCode }, 'http.server_error');
  });

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    const core =
      status === 413 ? new CoreError('PAYLOAD_TOO_LARGE') : status >= 400 && status < 500 ? new CoreError('BAD_REQUEST', err.message) : new CoreError('INTERNAL');
    if (core.code === 'INTERNAL') req.log.error({ err }, 'http.unhandled');
    void reply.code(core.spec.http).send(errorBody(core));
  });
  app.setNotFoundHandler((_req, reply) => void reply.code(404).send(errorBody(new CoreError('NOT_FOUND'))));

  const mount = (scope: FastifyInstance, route: Route) => {
    for (const prefix of API_PREFIXES) {
      scope.route({
        method: route.method,
        url: prefix + route.path,
        config: { ownOrigins: route.ownOrigins === true },
        handler: async (req, reply) => {
          const r = await route.handle({
            headers: req.headers,
            query: req.query as Record<string, unknown>,
            params: req.params as Record<string, string>,
            body: req.body,
            baseUrl: baseUrl(req, settings.publicUrl),
          });
          return reply.code(r.status).headers(r.headers ?? {}).send(r.body);
        },
      });
    }
  };
  for (const route of deps.apiRoutes) if (!route.rawBody) mount(app, route);
  // Routes that read their body as text, in a scope of their own (content-type parsers are per scope).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const route of deps.apiRoutes) if (route.rawBody) mount(scope, route);
  });

  app.get('/healthz', async (_req, reply) => {
    const h = deps.health();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unavailable', ...h });
  });
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  return app;
}
