/**
 * Load generator for `npm run bench` (one process, meant to be pinned to its own core).
 *
 * Driven by bench/run.ts through JSON lines: commands on stdin, results on stdout.
 *   {"cmd":"setup", ...SetupCmd}   open N sessions (bounded concurrency) → {"type":"setup", ...}
 *   {"cmd":"run", ...RunCmd}       closed or open loop over those sessions → {"type":"run", ...}
 *   {"cmd":"close"}                terminate every socket and exit
 *
 * The same code drives both targets:
 *  - `colloquy`: the full Kore round-trip setup per client — mint a JWT for a distinct identity with
 *    the demo app's secret → POST /api/oAuth/token/jwtgrant → POST /api/rtm/start → open the
 *    WebSocket → wait for `bot_active` (then for the welcome `bot_response`, so that it cannot be
 *    mistaken for a reply).
 *  - `echo`: just open the socket.
 * Requests are the Web SDK's user frame; a request completes with the `bot_response` that follows its
 * `ack` (per connection, FIFO; the echo server's `bot_response` also carries `replyto`, which is used
 * when present). Closed-loop latency is measured from the send; open-loop latency from the *scheduled*
 * send time (coordinated-omission safe).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { mintDevJwt } from '../src/auth/dev-jwt.js';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../src/server/demo.js';

export type Target = 'echo' | 'colloquy';

export interface SetupCmd {
  readonly cmd: 'setup';
  readonly target: Target;
  /** `http://127.0.0.1:port` (Colloquy) or `ws://127.0.0.1:port/` (echo). */
  readonly url: string;
  readonly connections: number;
  /** Sessions being set up at the same time. */
  readonly concurrency: number;
  /** Colloquy: how long to wait for the welcome message of every session. */
  readonly welcomeTimeoutMs: number;
  /** Makes identities unique across runs against the same data directory. */
  readonly tag: string;
  /** When given, the server's CPU use during the setup phase is reported. */
  readonly serverPid?: number;
  readonly clkTck?: number;
}

export interface RunCmd {
  readonly cmd: 'run';
  readonly mode: 'closed' | 'open';
  readonly durationMs: number;
  /** The first `warmupMs` of the run are not measured. */
  readonly warmupMs: number;
  /** Open loop: aggregate requests per second, round-robin over the connections. */
  readonly rate?: number;
  /** After the last send, how long to wait for outstanding replies (open loop). */
  readonly drainMs: number;
  /** A request still unanswered after this long counts as a timeout. */
  readonly timeoutMs: number;
  /** The server process to sample (CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status). */
  readonly serverPid: number;
  readonly clkTck: number;
  /** Colloquy's Prometheus endpoint: group-commit statistics are read at the window's start and end. */
  readonly metricsUrl?: string;
}

/** Group commits inside the measured window, from Colloquy's `colloquy_store_*` histograms. */
export interface StoreStats {
  readonly commits: number;
  readonly commitsPerSec: number;
  readonly appends: number;
  readonly meanBatch: number;
  readonly meanCommitMs: number;
  /** Share of the window's wall time spent inside group commits (the event loop is blocked meanwhile). */
  readonly commitWallPct: number;
  /** Commits per `le` bucket of colloquy_store_commit_seconds (non-cumulative). */
  readonly commitMsBuckets: Record<string, number>;
}

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface SetupResult {
  readonly type: 'setup';
  readonly target: Target;
  readonly requested: number;
  readonly connected: number;
  readonly failed: number;
  readonly errorSamples: string[];
  readonly wallMs: number;
  readonly sessionsPerSec: number;
  /** Server CPU during the setup phase: % of one core, and µs per session set up. */
  readonly serverCpuPct: number;
  readonly serverCpuUsPerSession: number;
  /** CLOCK_MONOTONIC µs of the setup phase (welcome wait excluded), to cut a profile to it. */
  readonly windowMonoUs: { readonly start: number; readonly end: number };
  /** Per session: start of setup → socket ready (`bot_active` for Colloquy, `open` for echo). */
  readonly latencyMs: LatencySummary;
  readonly welcomed: number;
  readonly welcomeWaitMs: number;
}

export interface RunResult {
  readonly type: 'run';
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly offeredRate: number | null;
  readonly windowSec: number;
  /** Completions whose reply arrived inside the measured window. */
  readonly completions: number;
  readonly msgPerSec: number;
  readonly latencyMs: LatencySummary;
  /** Open loop: requests scheduled inside the window that got no reply before the drain ended. */
  readonly timeouts: number;
  /** Requests the generator could not send (socket not open). */
  readonly sendFailures: number;
  /** `error` frames received, unexpected socket closes and socket errors during the run. */
  readonly errorFrames: number;
  readonly closes: number;
  readonly socketErrors: number;
  readonly unmatchedReplies: number;
  readonly errorSamples: string[];
  readonly serverCpuPct: number;
  readonly serverCpuUsPerMsg: number;
  readonly loadgenCpuPct: number;
  /** CPU used by every other process on the box, in % of one core (kernel I/O threads included). */
  readonly otherCpuPct: number;
  readonly serverRssMiB: { readonly mean: number; readonly max: number; readonly hwm: number };
  readonly store: StoreStats | null;
  /** Server I/O per completed round trip, from /proc/<pid>/io (null when unreadable). */
  readonly ioPerMsg: { readonly readSyscalls: number; readonly writeSyscalls: number; readonly wcharBytes: number; readonly storageWriteBytes: number } | null;
  /** CLOCK_MONOTONIC µs (same clock as V8's --cpu-prof timestamps), to cut a profile to the window. */
  readonly windowMonoUs: { readonly start: number; readonly end: number };
}

// ---------------------------------------------------------------------------------------------
// /proc sampling

interface CpuSample {
  readonly wall: number;
  readonly server: number;
  readonly self: number;
  readonly busy: number;
  readonly io: Map<string, number>;
}

/** /proc/<pid>/io: rchar, wchar (sockets included), syscr, syscw, read_bytes, write_bytes (storage). */
function procIo(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  try {
    for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
      const [k, v] = line.split(':');
      if (k && v) m.set(k.trim(), Number(v));
    }
  } catch {
    // not readable: leave empty
  }
  return m;
}

function procTicks(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy ticks of all CPUs (user+nice+system+irq+softirq+steal; idle and iowait excluded). */
function busyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
}

function cpuSample(serverPid: number): CpuSample {
  return { wall: performance.now(), server: procTicks(serverPid), self: procTicks('self'), busy: busyTicks(), io: procIo(serverPid) };
}

/** VmRSS and VmHWM of a process, in MiB. */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

type Metrics = Map<string, number>;

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The `colloquy_store_*` series of a Prometheus text page. */
async function scrape(url: string): Promise<Metrics> {
  const m: Metrics = new Map();
  for (const line of (await getText(url)).split('\n')) {
    if (!line.startsWith('colloquy_store_')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

function storeStats(a: Metrics, b: Metrics, windowSec: number): StoreStats {
  const d = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const commits = d('colloquy_store_commit_seconds_count');
  const commitSec = d('colloquy_store_commit_seconds_sum');
  const appends = d('colloquy_store_batch_size_sum');
  const buckets: Record<string, number> = {};
  let prev = 0;
  for (const k of b.keys()) {
    const le = /^colloquy_store_commit_seconds_bucket\{le="([^"]+)"\}$/.exec(k)?.[1];
    if (!le) continue;
    const cum = d(k);
    buckets[le === '+Inf' ? '+Inf' : `${Number(le) * 1000}ms`] = cum - prev;
    prev = cum;
  }
  return {
    commits,
    commitsPerSec: commits / windowSec,
    appends,
    meanBatch: commits ? appends / commits : NaN,
    meanCommitMs: commits ? (commitSec / commits) * 1000 : NaN,
    commitWallPct: (commitSec / windowSec) * 100,
    commitMsBuckets: buckets,
  };
}

// ---------------------------------------------------------------------------------------------
// statistics

export function summarise(values: ArrayLike<number>): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const q = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
  return { count: n, mean: sum / n, p50: q(0.5), p95: q(0.95), p99: q(0.99), p999: q(0.999), max: sorted[n - 1]! };
}

/** A growable Float64 buffer (no boxing of hundreds of thousands of latencies). */
class Samples {
  private buf = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

// ---------------------------------------------------------------------------------------------
// connections

interface Pending {
  readonly id: number;
  /** Send time (closed loop) or scheduled send time (open loop), performance.now() ms. */
  readonly t: number;
  /** Open loop: scheduled inside the measured window. */
  readonly measured: boolean;
  acked: boolean;
}

interface RunState {
  mode: 'closed' | 'open';
  windowStart: number;
  windowEnd: number;
  /** Closed loop: stop sending after this time. */
  sendUntil: number;
  latencies: Samples;
  completionsInWindow: number;
  measuredOutstanding: number;
  errorFrames: number;
  closes: number;
  socketErrors: number;
  unmatched: number;
  sendFailures: number;
  errorSamples: string[];
}

let run: RunState | null = null;
let nextId = Date.now() * 1000;

function sample(list: string[], msg: string): void {
  if (list.length < 8 && !list.includes(msg)) list.push(msg);
}

class Conn {
  readonly pending: Pending[] = [];
  private readonly framePrefix: string;
  private readonly frameSuffix: string;
  /** Resolved by `bot_active` (Colloquy) or `open` (echo). */
  ready!: Promise<void>;
  /** Colloquy: resolved by the first `bot_response` before any request (the welcome). */
  welcome: Promise<void>;
  private welcomed!: () => void;
  private onActive: (() => void) | undefined;
  private onFail: ((e: Error) => void) | undefined;
  sawWelcome = false;

  constructor(
    readonly ws: WebSocket,
    readonly target: Target,
    botInfoJson: string,
  ) {
    // The Kore Web SDK's user-message frame (194 B with these ids, as in the reference measurements).
    this.framePrefix = '{"clientMessageId":';
    this.frameSuffix = `,"message":{"body":"hi","attachments":[]},"resourceid":"/bot.message","botInfo":${botInfoJson},"id":`;
    this.welcome = new Promise((r) => (this.welcomed = r));
    this.ready = new Promise<void>((resolve, reject) => {
      this.onActive = resolve;
      this.onFail = reject;
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('open', () => {
      if (target === 'echo') this.activate();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => this.fail(new Error(`upgrade refused: ${res.statusCode} ${body.slice(0, 200)}`)));
    });
    ws.on('error', (err) => {
      if (run) {
        run.socketErrors++;
        sample(run.errorSamples, `socket error: ${err.message}`);
      }
      this.fail(err);
    });
    ws.on('close', (code, reason) => {
      if (run && !closing) {
        run.closes++;
        sample(run.errorSamples, `socket closed during run: ${code} ${reason.toString()}`);
      }
      this.fail(new Error(`closed ${code} ${reason.toString()}`));
    });
  }

  private activate(): void {
    const f = this.onActive;
    this.onActive = this.onFail = undefined;
    f?.();
  }

  private fail(err: Error): void {
    const f = this.onFail;
    this.onActive = this.onFail = undefined;
    f?.(err);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(t: number, measured: boolean): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const id = nextId++;
    this.pending.push({ id, t, measured, acked: false });
    this.ws.send(this.framePrefix + id + this.frameSuffix + id + '}');
    return true;
  }

  private onMessage(text: string): void {
    let f: { type?: unknown; replyto?: unknown; error?: unknown };
    try {
      f = JSON.parse(text) as typeof f;
    } catch {
      return;
    }
    switch (f.type) {
      case 'ack': {
        const p = this.pending.find((x) => x.id === f.replyto);
        if (p) p.acked = true;
        else if (run) run.unmatched++;
        return;
      }
      case 'bot_response': {
        let i = -1;
        if (typeof f.replyto === 'number') i = this.pending.findIndex((x) => x.id === f.replyto);
        else if (this.pending[0]?.acked) i = 0;
        if (i < 0) {
          if (this.pending.length === 0 && !this.sawWelcome) {
            this.sawWelcome = true;
            this.welcomed();
          } else if (run) run.unmatched++;
          return;
        }
        const p = this.pending.splice(i, 1)[0]!;
        complete(this, p);
        return;
      }
      case 'bot_active':
        this.activate();
        return;
      case 'error': {
        if (run) {
          run.errorFrames++;
          sample(run.errorSamples, `error frame: ${JSON.stringify(f.error)}`);
        }
        const i = this.pending.findIndex((x) => x.id === f.replyto);
        if (i >= 0) {
          const p = this.pending.splice(i, 1)[0]!;
          if (run && p.measured) run.measuredOutstanding--;
          if (run?.mode === 'closed' && performance.now() < run.sendUntil) this.send(performance.now(), false);
        }
        return;
      }
      default:
        return;
    }
  }
}

function complete(c: Conn, p: Pending): void {
  const r = run;
  if (!r) return;
  const now = performance.now();
  const inWindow = now >= r.windowStart && now < r.windowEnd;
  if (inWindow) r.completionsInWindow++;
  if (r.mode === 'closed') {
    if (inWindow) r.latencies.push(now - p.t);
    if (now < r.sendUntil && !c.send(now, false)) r.sendFailures++;
  } else if (p.measured) {
    r.latencies.push(now - p.t);
    r.measuredOutstanding--;
  }
}

// ---------------------------------------------------------------------------------------------
// setup

let conns: Conn[] = [];
let closing = false;
let agent: http.Agent | undefined;

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
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

const BOT_INFO = { chatBot: DEMO_BOT_NAME, taskBotId: DEMO_BOT_ID };
const DEMO_APP = { clientId: DEMO_CLIENT_ID, name: 'bench', clientSecret: DEMO_CLIENT_SECRET, algorithms: ['HS256' as const], botIds: [DEMO_BOT_ID] };

async function openColloquy(base: string, identity: string): Promise<Conn> {
  const assertion = await mintDevJwt({ app: DEMO_APP, identity });
  const grant = await postJson(`${base}/api/oAuth/token/jwtgrant`, { assertion, botInfo: BOT_INFO });
  if (grant.status !== 200) throw new Error(`jwtgrant ${grant.status}: ${JSON.stringify(grant.body).slice(0, 200)}`);
  const token = String(grant.body.authorization.accessToken);
  const start = await postJson(`${base}/api/rtm/start`, { botInfo: BOT_INFO, token: {} }, { authorization: `bearer ${token}` });
  if (start.status !== 200) throw new Error(`rtm/start ${start.status}: ${JSON.stringify(start.body).slice(0, 200)}`);
  const conn = new Conn(new WebSocket(String(start.body.url), { perMessageDeflate: false }), 'colloquy', JSON.stringify(BOT_INFO));
  await conn.ready;
  return conn;
}

async function openEcho(url: string): Promise<Conn> {
  const conn = new Conn(new WebSocket(url, { perMessageDeflate: false }), 'echo', JSON.stringify(BOT_INFO));
  await conn.ready;
  return conn;
}

async function setup(cmd: SetupCmd): Promise<SetupResult> {
  agent = new http.Agent({ keepAlive: true, maxSockets: cmd.concurrency });
  const latencies = new Samples();
  const errorSamples: string[] = [];
  let failed = 0;
  let next = 0;
  const opened: Conn[] = [];
  const cpu0 = cmd.serverPid ? procTicks(cmd.serverPid) : NaN;
  const t0 = performance.now();
  const mono0 = monoUs();
  const worker = async () => {
    while (next < cmd.connections) {
      const i = next++;
      const started = performance.now();
      try {
        const c = cmd.target === 'echo' ? await openEcho(cmd.url) : await openColloquy(cmd.url, `bench-${cmd.tag}-${i}@example.com`);
        latencies.push(performance.now() - started);
        opened.push(c);
      } catch (err) {
        failed++;
        sample(errorSamples, (err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.connections) }, worker));
  const wallMs = performance.now() - t0;
  const mono1 = monoUs();
  const serverSec = cmd.serverPid ? (procTicks(cmd.serverPid) - cpu0) / (cmd.clkTck ?? 100) : NaN;
  agent.destroy();
  conns = conns.concat(opened);
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

// ---------------------------------------------------------------------------------------------
// runs

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runLoad(cmd: RunCmd): Promise<RunResult> {
  const open = conns.filter((c) => c.open);
  const r: RunState = {
    mode: cmd.mode,
    windowStart: Infinity,
    windowEnd: Infinity,
    sendUntil: Infinity,
    latencies: new Samples(),
    completionsInWindow: 0,
    measuredOutstanding: 0,
    errorFrames: 0,
    closes: 0,
    socketErrors: 0,
    unmatched: 0,
    sendFailures: 0,
    errorSamples: [],
  };
  run = r;
  const t0 = performance.now() + 5;
  r.windowStart = t0 + cmd.warmupMs;
  r.windowEnd = t0 + cmd.durationMs;
  r.sendUntil = r.windowEnd;

  let before: CpuSample | undefined;
  let after: CpuSample | undefined;
  let monoStart = 0;
  let monoEnd = 0;
  const rss: number[] = [];
  let metricsStart: Promise<Metrics | null> = Promise.resolve(null);
  let metricsEnd: Promise<Metrics | null> = Promise.resolve(null);
  const scrapeSafe = (url: string) => scrape(url).catch(() => null);
  const onWindowStart = () => {
    before = cpuSample(cmd.serverPid);
    monoStart = monoUs();
    rss.push(rssMiB(cmd.serverPid).rss);
    if (cmd.metricsUrl) metricsStart = scrapeSafe(cmd.metricsUrl);
  };
  const onWindowEnd = () => {
    after = cpuSample(cmd.serverPid);
    monoEnd = monoUs();
    if (cmd.metricsUrl) metricsEnd = scrapeSafe(cmd.metricsUrl);
  };
  setTimeout(onWindowStart, r.windowStart - performance.now());
  const rssTimer = setInterval(() => {
    const now = performance.now();
    if (now >= r.windowStart && now < r.windowEnd) rss.push(rssMiB(cmd.serverPid).rss);
  }, 500);
  const endTimer = setTimeout(onWindowEnd, r.windowEnd - performance.now());

  if (cmd.mode === 'closed') {
    await sleep(Math.max(0, t0 - performance.now()));
    for (const c of open) if (!c.send(performance.now(), false)) r.sendFailures++;
    await sleep(Math.max(0, r.windowEnd - performance.now()) + 1);
  } else {
    const rate = cmd.rate ?? 1000;
    const interval = 1000 / rate;
    const total = Math.floor((cmd.durationMs * rate) / 1000);
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (k < total) {
          const sched = t0 + k * interval;
          if (sched > now) break;
          const measured = sched >= r.windowStart && sched < r.windowEnd;
          const c = open[k % open.length]!;
          if (c.send(sched, measured)) {
            if (measured) r.measuredOutstanding++;
          } else r.sendFailures++;
          k++;
        }
        if (k < total) setTimeout(tick, 1);
        else resolve();
      };
      setTimeout(tick, Math.max(0, t0 - performance.now()));
    });
    await sleep(Math.max(0, r.windowEnd - performance.now()) + 1);
    const drainUntil = performance.now() + cmd.drainMs;
    while (r.measuredOutstanding > 0 && performance.now() < drainUntil) await sleep(10);
  }
  clearInterval(rssTimer);
  clearTimeout(endTimer);
  if (!after) onWindowEnd();
  if (!before) throw new Error('the measured window never started');
  const b = before;
  const a = after!;
  // Let the closed loop's last requests finish, so that the next phase starts clean.
  const quiet = performance.now() + Math.min(cmd.timeoutMs, 5000);
  while (open.some((c) => c.pending.length > 0) && performance.now() < quiet) await sleep(10);
  const stuck = open.reduce((n, c) => n + c.pending.filter((p) => performance.now() - p.t > cmd.timeoutMs).length, 0);
  run = null;

  const windowSec = (a.wall - b.wall) / 1000;
  const tick = 1 / cmd.clkTck;
  const serverSec = (a.server - b.server) * tick;
  const selfSec = (a.self - b.self) * tick;
  const busySec = (a.busy - b.busy) * tick;
  const completions = r.completionsInWindow;
  const mem = rssMiB(cmd.serverPid);
  const [m0, m1] = await Promise.all([metricsStart, metricsEnd]);
  return {
    type: 'run',
    mode: cmd.mode,
    connections: open.length,
    offeredRate: cmd.mode === 'open' ? (cmd.rate ?? null) : null,
    windowSec,
    completions,
    msgPerSec: completions / windowSec,
    latencyMs: summarise(r.latencies.view()),
    timeouts: cmd.mode === 'open' ? Math.max(0, r.measuredOutstanding) : stuck,
    sendFailures: r.sendFailures,
    errorFrames: r.errorFrames,
    closes: r.closes,
    socketErrors: r.socketErrors,
    unmatchedReplies: r.unmatched,
    errorSamples: r.errorSamples,
    serverCpuPct: (serverSec / windowSec) * 100,
    serverCpuUsPerMsg: completions > 0 ? (serverSec * 1e6) / completions : NaN,
    loadgenCpuPct: (selfSec / windowSec) * 100,
    otherCpuPct: Math.max(0, ((busySec - serverSec - selfSec) / windowSec) * 100),
    serverRssMiB: { mean: rss.length ? rss.reduce((x, y) => x + y, 0) / rss.length : mem.rss, max: Math.max(mem.rss, ...rss), hwm: mem.hwm },
    store: m0 && m1 ? storeStats(m0, m1, windowSec) : null,
    ioPerMsg:
      a.io.size && b.io.size && completions > 0
        ? {
            readSyscalls: ((a.io.get('syscr') ?? 0) - (b.io.get('syscr') ?? 0)) / completions,
            writeSyscalls: ((a.io.get('syscw') ?? 0) - (b.io.get('syscw') ?? 0)) / completions,
            wcharBytes: ((a.io.get('wchar') ?? 0) - (b.io.get('wchar') ?? 0)) / completions,
            storageWriteBytes: ((a.io.get('write_bytes') ?? 0) - (b.io.get('write_bytes') ?? 0)) / completions,
          }
        : null,
    windowMonoUs: { start: monoStart, end: monoEnd },
  };
}

// ---------------------------------------------------------------------------------------------
// command loop

const out = (msg: unknown): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
};

async function handle(line: string): Promise<void> {
  const cmd = JSON.parse(line) as SetupCmd | RunCmd | { cmd: 'close' };
  switch (cmd.cmd) {
    case 'setup':
      return out(await setup(cmd));
    case 'run':
      return out(await runLoad(cmd));
    case 'close':
      closing = true;
      for (const c of conns) c.ws.terminate();
      out({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      return;
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(() => handle(line)).catch((err: unknown) => out({ type: 'fatal', message: String((err as Error)?.stack ?? err) }));
});
process.stdin.on('end', () => {
  closing = true;
  queue.then(() => process.exit(0), () => process.exit(1));
});
