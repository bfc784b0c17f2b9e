import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { mintDevJwt } from '../auth/dev-jwt.js';
import { loadConfig } from './config/load.js';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './demo.js';
import { startNode } from './node.js';

/**
 * Warm-up at start. A fresh process answers its first second of heavy traffic slowly, mostly because V8 has not
 * yet optimised the message path: at 5,000 msg/s over 1000 sessions the first messages waited up to 0.2–0.5 s.
 * Before the node opens its port, `colloquy start` therefore runs `turns` real turns through a scratch node of the
 * built-in demo — its own data directory in the temp dir (deleted afterwards), the bundled demo bot, loopback
 * sockets, the Kore protocol end to end — so the same code is already optimised when the real traffic comes.
 * Nothing of the user's configuration, data, bots or environment is used: a user's bot may call webhooks, and a
 * warm-up must have no effect outside this process. Measured in docs/performance.md ("Cold start").
 */

export interface WarmupResult {
  /** Turns answered (a turn: a user message, its ack and the bot's answer). */
  readonly turns: number;
  readonly ms: number;
}

const BOT_INFO = { chatBot: DEMO_BOT_NAME, taskBotId: DEMO_BOT_ID };
const DEMO_APP = { clientId: DEMO_CLIENT_ID, name: 'warm-up', clientSecret: DEMO_CLIENT_SECRET, algorithms: ['HS256' as const], botIds: [DEMO_BOT_ID] };
/** Sockets talking at once: enough for turns to share commits, as they do under load. */
const SOCKETS = 16;

export interface WarmupOptions {
  /** Give up (with what was done) after this long; the sockets must be open within it too. */
  readonly timeoutMs?: number;
  /** Where the scratch data directory is made (default: the system's temp dir). */
  readonly tmpDir?: string;
}

export async function warmUp(turns: number, { timeoutMs = 20_000, tmpDir = tmpdir() }: WarmupOptions = {}): Promise<WarmupResult> {
  const t0 = performance.now();
  if (turns <= 0) return { turns: 0, ms: 0 };
  const dir = mkdtempSync(join(tmpDir, 'colloquy-warmup-'));
  try {
    const config = loadConfig({
      env: {},
      cwd: dir,
      flags: { port: 0, host: '127.0.0.1', dataDir: dir, demo: 'on', demoBot: '', store: 'sqlite', bus: 'memory', rateLimitBurst: 1_000_000, rateLimitPerSec: 1_000_000 },
    });
    const node = await startNode(config, { log: pino({ level: 'silent' }) });
    try {
      const deadline = performance.now() + timeoutMs;
      const opening = Promise.all(Array.from({ length: Math.min(SOCKETS, turns) }, (_, i) => openSocket(node.url, `warm-up-${i}`)));
      const sockets = await within(opening, timeoutMs);
      let left = turns;
      const done = await Promise.all(sockets.map((ws) => talk(ws, () => left-- > 0, deadline)));
      for (const ws of sockets) ws.terminate();
      return { turns: done.reduce((a, b) => a + b, 0), ms: performance.now() - t0 };
    } finally {
      await node.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `work`, or a rejection once `ms` passed. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`warm-up: no sockets within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function postJson(url: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`warm-up: ${new URL(url).pathname} answered ${res.status}`);
  return res.json();
}

/** jwtgrant → rtm/start → the socket, open once `bot_active` arrived. */
async function openSocket(base: string, identity: string): Promise<WebSocket> {
  const assertion = await mintDevJwt({ app: DEMO_APP, identity });
  const grant = await postJson(`${base}/api/oAuth/token/jwtgrant`, { assertion, botInfo: BOT_INFO });
  const start = await postJson(`${base}/api/rtm/start`, { botInfo: BOT_INFO, token: {} }, String(grant.authorization.accessToken));
  const ws = new WebSocket(String(start.url), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', function active(data) {
      if ((JSON.parse(String(data)) as { type?: string }).type !== 'bot_active') return;
      ws.off('message', active);
      resolve();
    });
    ws.once('error', reject);
    ws.once('close', () => reject(new Error('warm-up: socket closed before bot_active')));
  });
  return ws;
}

/**
 * One message at a time, the next once the bot answered the last (its answer is the `bot_response` after the
 * ack); resolves with the turns answered, at the latest at the deadline.
 */
function talk(ws: WebSocket, another: () => boolean, deadline: number): Promise<number> {
  return new Promise((resolve) => {
    let id = 0;
    let acked = false;
    let answered = 0;
    let finished = false;
    const timer = setTimeout(() => finish(), Math.max(0, deadline - performance.now()));
    const finish = () => {
      finished = true;
      clearTimeout(timer);
      resolve(answered);
    };
    const send = () => {
      if (!another()) return finish();
      id += 1;
      acked = false;
      ws.send(JSON.stringify({ clientMessageId: id, message: { body: 'hi', attachments: [] }, resourceid: '/bot.message', botInfo: BOT_INFO, id }));
    };
    ws.on('message', (data) => {
      if (finished) return;
      const f = JSON.parse(String(data)) as { type?: string; replyto?: unknown };
      if (f.type === 'error') return finish();
      if (f.type === 'ack' && f.replyto === id) acked = true;
      else if (f.type === 'bot_response' && acked) {
        answered += 1;
        send();
      }
    });
    ws.once('close', finish);
    send();
  });
}
