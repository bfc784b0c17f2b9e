/**
 * The setup phase: open N sessions with bounded concurrency.
 *  - `colloquy`: the full Kore round-trip setup per client, as the Web SDK does it — mint a JWT for a
 *    distinct identity with the demo app's secret → POST /api/oAuth/token/jwtgrant → POST /api/rtm/start
 *    → open the WebSocket → wait for `bot_active` (then for the welcome `bot_response`, so that it cannot
 *    be mistaken for a reply).
 *  - `echo`: just open the socket.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { mintDevJwt } from '../../src/auth/dev-jwt.js';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/server/demo.js';
import { procTicks } from '../procfs.js';
import { Conn, type Fleet } from './connection.js';
import { isBaseline, type SetupCmd, type SetupResult } from './protocol.js';
import { sampleMessage } from './run-state.js';
import { Samples, summarise } from './samples.js';
import { monoUs } from './usage.js';

const BOT_INFO = { chatBot: DEMO_BOT_NAME, taskBotId: DEMO_BOT_ID };
const BOT_INFO_JSON = JSON.stringify(BOT_INFO);
const DEMO_APP = { clientId: DEMO_CLIENT_ID, name: 'bench', clientSecret: DEMO_CLIENT_SECRET, algorithms: ['HS256' as const], botIds: [DEMO_BOT_ID] };

function postJson(agent: http.Agent, url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function openColloquy(fleet: Fleet, agent: http.Agent, base: string, identity: string): Promise<Conn> {
  const assertion = await mintDevJwt({ app: DEMO_APP, identity });
  const grant = await postJson(agent, `${base}/api/oAuth/token/jwtgrant`, { assertion, botInfo: BOT_INFO });
  if (grant.status !== 200) throw new Error(`jwtgrant ${grant.status}: ${JSON.stringify(grant.body).slice(0, 200)}`);
  const token = String(grant.body.authorization.accessToken);
  const start = await postJson(agent, `${base}/api/rtm/start`, { botInfo: BOT_INFO, token: {} }, { authorization: `bearer ${token}` });
  if (start.status !== 200) throw new Error(`rtm/start ${start.status}: ${JSON.stringify(start.body).slice(0, 200)}`);
  const conn = new Conn(new WebSocket(String(start.body.url), { perMessageDeflate: false }), 'colloquy', BOT_INFO_JSON, fleet);
  await conn.ready;
  return conn;
}

async function openEcho(fleet: Fleet, url: string): Promise<Conn> {
  const conn = new Conn(new WebSocket(url, { perMessageDeflate: false }), 'echo', BOT_INFO_JSON, fleet);
  await conn.ready;
  return conn;
}

/** Opens `cmd.connections` sessions and adds them to the fleet. */
export async function setup(fleet: Fleet, cmd: SetupCmd): Promise<SetupResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: cmd.concurrency });
  const latencies = new Samples();
  const errorSamples: string[] = [];
  let failed = 0;
  let next = 0;
  const opened: Conn[] = [];
  const pids = cmd.serverPids ?? (cmd.serverPid ? [cmd.serverPid] : []);
  const serverTicks = () => pids.reduce((n, pid) => n + procTicks(pid), 0);
  const cpu0 = pids.length ? serverTicks() : NaN;
  const t0 = performance.now();
  const mono0 = monoUs();
  const worker = async () => {
    while (next < cmd.connections) {
      const i = next++;
      const started = performance.now();
      try {
        const url = cmd.urls ? cmd.urls[i % cmd.urls.length]! : cmd.url;
        const c = isBaseline(cmd.target) ? await openEcho(fleet, url) : await openColloquy(fleet, agent, url, `bench-${cmd.tag}-${i}@example.com`);
        latencies.push(performance.now() - started);
        opened.push(c);
      } catch (err) {
        failed++;
        sampleMessage(errorSamples, (err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.connections) }, worker));
  const wallMs = performance.now() - t0;
  const mono1 = monoUs();
  const serverSec = pids.length ? (serverTicks() - cpu0) / (cmd.clkTck ?? 100) : NaN;
  agent.destroy();
  fleet.conns = fleet.conns.concat(opened);
  // Colloquy greets every new window (after its history request, or a fallback delay); wait for those
  // welcomes so that none can be taken for the reply to a request.
  let welcomed = 0;
  const w0 = performance.now();
  if (cmd.target === 'colloquy' && opened.length > 0) {
    await Promise.race([Promise.all(opened.map((c) => c.welcome)), new Promise((r) => setTimeout(r, cmd.welcomeTimeoutMs))]);
    welcomed = opened.filter((c) => c.sawWelcome).length;
  }
  return {
    type: 'setup',
    target: cmd.target,
    requested: cmd.connections,
    connected: opened.length,
    failed,
    errorSamples,
    wallMs,
    sessionsPerSec: (opened.length / wallMs) * 1000,
    windowMonoUs: { start: mono0, end: mono1 },
    serverCpuPct: (serverSec / (wallMs / 1000)) * 100,
    serverCpuUsPerSession: opened.length ? (serverSec * 1e6) / opened.length : NaN,
    latencyMs: summarise(latencies.view()),
    welcomed,
    welcomeWaitMs: performance.now() - w0,
  };
}
