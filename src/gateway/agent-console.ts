import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PACKAGE_ROOT } from './demo.js';

export const WEB_AGENT_DIR = join(PACKAGE_ROOT, 'web', 'agent');

/** The agent console (web/agent: a static page speaking the native protocol) at `/agent`. */
export async function serveAgentConsole(app: FastifyInstance): Promise<void> {
  const index = readFileSync(join(WEB_AGENT_DIR, 'index.html'), 'utf8');
  app.get('/agent', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index));
  await app.register(fastifyStatic, { root: WEB_AGENT_DIR, prefix: '/agent/', decorateReply: false, index: 'index.html' });
}
