import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { mintDevJwt } from '../auth/dev-jwt.js';
import { CoreError } from '../core/errors.js';
import type { Directory } from '../core/ports/directory.js';
import { errorBody } from './http.js';

/** The repository's (or installed package's) root: web/ and node_modules/ live there. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_DEMO_DIR = join(PACKAGE_ROOT, 'web', 'demo');
export const KORE_SDK_DIST = join(dirname(createRequire(import.meta.url).resolve('kore-web-sdk/package.json')), 'dist');

export interface DemoPageConfig {
  readonly apiUrl: string;
  readonly jwtUrl: string;
  readonly botId: string;
  readonly botName: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export const demoConfigScript = (c: DemoPageConfig): string => `window.COLLOQUY_DEMO = ${JSON.stringify(c)};\n`;

/** Serve the demo page's static files and the Kore Web SDK bundle from node_modules. */
export async function serveDemoAssets(app: FastifyInstance): Promise<void> {
  const index = readFileSync(join(WEB_DEMO_DIR, 'index.html'), 'utf8');
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(index));
  await app.register(fastifyStatic, { root: WEB_DEMO_DIR, prefix: '/demo/', decorateReply: false });
  await app.register(fastifyStatic, { root: KORE_SDK_DIST, prefix: '/vendor/kore-web-sdk/', decorateReply: false });
}

/**
 * Demo mode: the page at `/` (the real Kore Web SDK, pointed at this server) and a development JWT
 * service at `POST /demo/sts`, which signs an assertion for the app whose id and secret are posted —
 * what a customer's backend does in production. Never enabled by a config file unless asked for.
 */
export async function registerDemo(app: FastifyInstance, directory: Directory, page: () => Omit<DemoPageConfig, 'apiUrl' | 'jwtUrl'>): Promise<void> {
  await app.register(formbody);
  await serveDemoAssets(app);
  app.get('/demo/config.js', async (req, reply) => {
    const origin = `${req.protocol}://${req.host}`;
    return reply.type('application/javascript').send(demoConfigScript({ ...page(), apiUrl: `${origin}/api/`, jwtUrl: `${origin}/demo/sts` }));
  });
  app.post('/demo/sts', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { clientId, clientSecret, identity } = body;
    if (typeof clientId !== 'string' || typeof identity !== 'string' || identity.length === 0) {
      return reply.code(400).send(errorBody(new CoreError('BAD_REQUEST', 'clientId and identity are required.')));
    }
    const app = await directory.app(clientId);
    if (!app || !app.clientSecret || app.clientSecret !== clientSecret) {
      return reply.code(401).send(errorBody(new CoreError('UNKNOWN_CLIENT', 'Unknown client id or wrong secret.')));
    }
    return reply.send({ jwt: await mintDevJwt({ app, identity, isAnonymous: body['isAnonymous'] === 'true' }) });
  });
}
