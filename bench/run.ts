/**
 * `npm run bench`: Colloquy against the raw `ws` echo baseline, measured in the same run, with the
 * method of /work/shared/reference/performance.md (see docs/performance.md).
 *
 * For every scenario (closed loop at each --connections, open loop at each --rates over
 * --open-connections) and repetition: the echo server, then Colloquy, each freshly started and pinned to
 * core 0 with the load generator (bench/loadgen.ts) pinned to core 1. Server CPU (utime+stime) and RSS
 * are sampled from /proc over the measured window. Results: .bench/<stamp>.json, .bench/latest.json,
 * .bench/latest.md, and a markdown table on stdout with every Colloquy figure as a ratio to the echo.
 *
 *   npm run bench                       # 3 reps × (closed 100, closed 1000, open 5k msg/s over 1000)
 *   npm run bench -- --quick            # smoke run: 1 rep, 3 s runs (1 s warm-up)
 *   npm run bench -- --profile          # also: one --cpu-prof run of Colloquy, closed loop, 1000 conns
 *   npm run bench -- --profile-only     # only that profile run
 *   npm run bench -- --perf             # also: an on-CPU `perf record` of Colloquy (kernel + SQLite + JIT)
 *   npm run bench -- --perf-callgraph   # the same with call graphs (-g; slows the server here, shares only)
 *   other flags: --connections 100,1000 --rates 5000 --open-connections 1000 --duration 8 --warmup 2
 *                --reps 3 --setup-concurrency 64 --sync full|normal --unpinned --targets echo,colloquy
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunCmd, RunResult, SetupCmd, SetupResult, Target } from './loadgen.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, '.bench');
const GC_HOOK = join(ROOT, 'bench', 'gc-hook.mjs');
/**
 * The working tree is shared (tests and builds of other people rebuild dist/ at any time), so the server
 * is run from a private copy of dist/ taken once at the start: every cell of a run measures the same build.
 */
const SNAPSHOT = join(OUT_DIR, 'build', `${process.pid}-${Date.now()}`);

function snapshotDist(): { dir: string; sha1: string; files: number } {
  const src = join(ROOT, 'dist');
  if (!existsSync(join(src, 'server', 'cli.js'))) throw new Error('dist/server/cli.js is missing: run `npm run build` (npm run bench does)');
  mkdirSync(SNAPSHOT, { recursive: true });
  cpSync(src, join(SNAPSHOT, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  copyFileSync(join(ROOT, 'package.json'), join(SNAPSHOT, 'package.json'));
  if (existsSync(join(ROOT, 'web'))) symlinkSync(join(ROOT, 'web'), join(SNAPSHOT, 'web'));
  const hash = createHash('sha1');
  let files = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js')) {
        hash.update(p.slice(SNAPSHOT.length)).update(readFileSync(p));
        files++;
      }
    }
  };
  walk(join(SNAPSHOT, 'dist'));
  return { dir: SNAPSHOT, sha1: hash.digest('hex').slice(0, 12), files };
}

// ---------------------------------------------------------------------------------------------
// options

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    connections: { type: 'string' },
    rates: { type: 'string' },
    'open-connections': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    reps: { type: 'string' },
    'setup-concurrency': { type: 'string' },
    sync: { type: 'string' },
    unpinned: { type: 'boolean', default: false },
    targets: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-only': { type: 'boolean', default: false },
    'profile-interval': { type: 'string' },
    perf: { type: 'boolean', default: false },
    'perf-callgraph': { type: 'boolean', default: false },
    'quiet-pct': { type: 'string' },
    'quiet-wait': { type: 'string' },
    'noisy-pct': { type: 'string' },
    retries: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

const list = (s: string | undefined, d: number[]) => (s ? s.split(',').map((x) => Number(x.trim())).filter((n) => n > 0) : d);
const quick = flags.quick;
const opts = {
  connections: list(flags.connections, [100, 1000]),
  rates: list(flags.rates, [5000]),
  openConnections: Number(flags['open-connections'] ?? 1000),
  durationMs: Number(flags.duration ?? (quick ? 3 : 8)) * 1000,
  warmupMs: Number(flags.warmup ?? (quick ? 1 : 2)) * 1000,
  reps: Number(flags.reps ?? (quick ? 1 : 3)),
  setupConcurrency: Number(flags['setup-concurrency'] ?? 64),
  sync: flags.sync as 'full' | 'normal' | undefined,
  targets: (flags.targets ?? 'echo,colloquy').split(',').map((t) => t.trim()) as Target[],
  profile: flags.profile || flags['profile-only'],
  profileOnly: flags['profile-only'],
  perf: flags.perf || flags['perf-callgraph'],
  perfCallgraph: flags['perf-callgraph'],
  profileIntervalUs: Number(flags['profile-interval'] ?? 500),
  /** Before each measurement, wait (up to quietWaitSec) until other processes use < quietPct % of a core. */
  quietPct: Number(flags['quiet-pct'] ?? 15),
  quietWaitSec: Number(flags['quiet-wait'] ?? 60),
  /** A cell whose window saw other processes use more than this (% of a core) is re-run, up to `retries` times. */
  noisyPct: Number(flags['noisy-pct'] ?? 30),
  retries: Number(flags.retries ?? 3),
};
if (opts.sync && opts.sync !== 'full' && opts.sync !== 'normal') throw new Error('--sync must be full or normal');
if (opts.warmupMs >= opts.durationMs) throw new Error('--warmup must be shorter than --duration');

// ---------------------------------------------------------------------------------------------
// environment

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function canPin(): { pinned: boolean; why: string } {
  if (flags.unpinned) return { pinned: false, why: 'unpinned on request (--unpinned)' };
  if (os.cpus().length < 2) return { pinned: false, why: `only ${os.cpus().length} CPU: cannot pin server and generator apart` };
  try {
    execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
    return { pinned: true, why: 'server `taskset -c 0`, load generator `taskset -c 1`' };
  } catch {
    return { pinned: false, why: 'taskset unavailable: server and generator UNPINNED (scheduler\'s choice)' };
  }
}
const pinning = canPin();
if (!pinning.pinned) log(`WARNING: ${pinning.why}`);

function clkTck(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const CLK_TCK = clkTck();

function fdLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}
const FD_LIMIT = fdLimit();
const maxConns = Math.max(...opts.connections, opts.openConnections);
if (Number.isFinite(FD_LIMIT) && maxConns + opts.setupConcurrency + 100 > FD_LIMIT) {
  throw new Error(`${maxConns} connections need more file descriptors than the limit (ulimit -n = ${FD_LIMIT})`);
}

const pkgVersion = (name: string): string | null => {
  const p = join(ROOT, 'node_modules', name, 'package.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : null;
};

function gitState(): { commit: string; dirtySrcFiles: number } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return { commit, dirtySrcFiles: dirty };
  } catch {
    return null;
  }
}

const machine = {
  git: gitState(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: `${os.type()} ${os.release()}`,
  node: process.version,
  ws: pkgVersion('ws'),
  bufferutil: pkgVersion('bufferutil'),
  betterSqlite3: pkgVersion('better-sqlite3'),
  fdLimit: FD_LIMIT,
  clkTck: CLK_TCK,
  pinning: pinning.why,
  loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
};

// ---------------------------------------------------------------------------------------------
// processes

interface Server {
  readonly target: Target;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Echo: ws://…/ ; Colloquy: http://… */
  readonly url: string;
  readonly dataDir: string | undefined;
  readonly output: string[];
}

function pinned(core: number, args: string[]): [string, string[]] {
  return pinning.pinned ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COLLOQUY_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

async function startServer(target: Target, nodeFlags: string[] = []): Promise<Server> {
  let args: string[];
  let env: NodeJS.ProcessEnv;
  let dataDir: string | undefined;
  if (target === 'echo') {
    args = [...nodeFlags, '--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'echo-server.ts'), '0'];
    env = cleanEnv({});
  } else {
    dataDir = mkdtempSync(join(os.tmpdir(), 'colloquy-bench-'));
    args = [...nodeFlags, '--expose-gc', '--import', GC_HOOK, join(SNAPSHOT, 'dist', 'server', 'cli.js'), 'start'];
    env = cleanEnv({
      COLLOQUY_PORT: '0',
      COLLOQUY_HOST: '127.0.0.1',
      COLLOQUY_DATA_DIR: dataDir,
      COLLOQUY_RATE_LIMIT_BURST: '1000000',
      COLLOQUY_RATE_LIMIT_PER_SEC: '1000000',
      COLLOQUY_LOG_LEVEL: 'warn',
      ...(opts.sync ? { COLLOQUY_SQLITE_SYNCHRONOUS: opts.sync } : {}),
    });
  }
  const [cmd, argv] = pinned(0, args);
  const proc = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  createInterface({ input: proc.stderr! }).on('line', keep);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target} did not start in 30 s:\n${output.join('\n')}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`${target} exited (${code}) during start:\n${output.join('\n')}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      keep(line);
      const echo = /^listening (\d+)/.exec(line);
      const coll = /serving (http:\/\/\S+)/.exec(line);
      if (echo) resolveUrl(`ws://127.0.0.1:${echo[1]}/`);
      else if (coll) resolveUrl(coll[1]!);
      else return;
      clearTimeout(timer);
    });
  });
  return { target, proc, pid: proc.pid!, url, dataDir, output };
}

async function stopServer(s: Server, timeoutMs = 20_000): Promise<number | null> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
    s.proc.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      log(`${s.target} did not exit within ${timeoutMs} ms of SIGTERM; killing it`);
      s.proc.kill('SIGKILL');
      await exited;
    }
  }
  if (s.dataDir) rmSync(s.dataDir, { recursive: true, force: true });
  return s.proc.exitCode;
}

interface Loadgen {
  setup(cmd: Omit<SetupCmd, 'cmd'>): Promise<SetupResult>;
  run(cmd: Omit<RunCmd, 'cmd'>): Promise<RunResult>;
  close(): Promise<void>;
}

async function startLoadgen(): Promise<Loadgen> {
  const [cmd, argv] = pinned(1, ['--import', 'tsx', join(ROOT, 'bench', 'loadgen.ts')]);
  const proc = spawn(cmd, argv, { cwd: ROOT, env: cleanEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 50) stderr.shift();
  });
  const waiting: { resolve: (v: any) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: { type?: string; message?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return log(`loadgen: ${line}`);
    }
    const w = waiting.shift();
    if (!w) return;
    if (msg.type === 'fatal') w.reject(new Error(`loadgen: ${msg.message}`));
    else w.resolve(msg);
  });
  proc.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`loadgen exited (${code}): ${stderr.join('\n')}`));
  });
  const ask = <T>(c: object): Promise<T> =>
    new Promise<T>((res, rej) => {
      waiting.push({ resolve: res, reject: rej });
      proc.stdin!.write(`${JSON.stringify(c)}\n`);
    });
  return {
    setup: (c) => ask<SetupResult>({ cmd: 'setup', ...c }),
    run: (c) => ask<RunResult>({ cmd: 'run', ...c }),
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.stdin!.write(`${JSON.stringify({ cmd: 'close' })}\n`);
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN) / 1024;
}

function busyTicks(): number {
  const v = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
}

/**
 * This box is shared: wait until the other processes' CPU use (sampled over 1 s, while none of ours
 * runs) drops below --quiet-pct % of one core, for at most --quiet-wait s. Returns the last sample.
 */
async function waitForQuiet(): Promise<{ otherPct: number; waitedSec: number }> {
  const t0 = Date.now();
  for (;;) {
    const b = busyTicks();
    await sleep(1000);
    const pct = ((busyTicks() - b) / CLK_TCK) * 100;
    const waitedSec = (Date.now() - t0) / 1000;
    if (pct < opts.quietPct || waitedSec >= opts.quietWaitSec) {
      if (pct >= opts.quietPct) log(`box still busy after ${Math.round(waitedSec)} s (other processes ${pct.toFixed(0)} % of a core); measuring anyway`);
      return { otherPct: pct, waitedSec };
    }
  }
}

async function rssAfterGc(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(400);
  return rssMiB(pid);
}

// ---------------------------------------------------------------------------------------------
// one measurement

interface Scenario {
  readonly name: string;
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly rate?: number;
}

interface Cell {
  readonly scenario: string;
  readonly target: Target;
  readonly rep: number;
  readonly setup: SetupResult;
  readonly run: RunResult;
  /** Server RSS after a forced GC, before and after the main batch of sessions (a warm-up batch came first). */
  readonly idle: { readonly rssBeforeMiB: number; readonly rssConnectedMiB: number; readonly kibPerConn: number };
  readonly serverExitCode: number | null;
  readonly serverLogTail: string[];
  readonly errors: number;
  /** Other processes' CPU (% of a core) just before the cell started, and how long we waited for it. */
  readonly before: { readonly otherPct: number; readonly waitedSec: number };
}

let tagCounter = 0;

async function measure(
  target: Target,
  sc: Scenario,
  rep: number,
  nodeFlags: string[] = [],
  duringRun?: (server: Server) => Promise<void>,
  /** Started before the main setup batch; the returned function is called when it is done. */
  duringSetup?: (server: Server) => () => Promise<void>,
): Promise<Cell & { server: Server }> {
  const quiet = await waitForQuiet();
  const server = await startServer(target, nodeFlags);
  const lg = await startLoadgen();
  try {
    await sleep(300);
    // A few sessions first, so that code paths are compiled and caches exist before the idle-RSS
    // baseline is taken; setup rate and idle KiB/conn come from the remaining sessions.
    const warm = Math.min(100, Math.max(1, Math.round(sc.connections / 10)));
    const tag = `${process.pid}-${Date.now()}-${tagCounter++}`;
    const base = { target, url: server.url, concurrency: opts.setupConcurrency, welcomeTimeoutMs: 5000, serverPid: server.pid, clkTck: CLK_TCK };
    const warmSetup = await lg.setup({ ...base, connections: warm, tag: `${tag}-w` });
    await sleep(300);
    const rssBefore = await rssAfterGc(server.pid);
    const stopSetupHook = duringSetup?.(server);
    const main = await lg.setup({ ...base, connections: sc.connections - warm, tag });
    await stopSetupHook?.();
    const setup: SetupResult = {
      ...main,
      requested: sc.connections,
      connected: warmSetup.connected + main.connected,
      failed: warmSetup.failed + main.failed,
      errorSamples: [...warmSetup.errorSamples, ...main.errorSamples].slice(0, 8),
      welcomed: warmSetup.welcomed + main.welcomed,
    };
    await sleep(300);
    const rssConnected = await rssAfterGc(server.pid);
    const during = duringRun?.(server);
    const run = await lg.run({
      mode: sc.mode,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      ...(sc.rate !== undefined ? { rate: sc.rate } : {}),
      drainMs: 5000,
      timeoutMs: 10_000,
      serverPid: server.pid,
      clkTck: CLK_TCK,
      ...(target === 'colloquy' ? { metricsUrl: `${server.url}/metrics` } : {}),
    });
    await during;
    await lg.close();
    const exitCode = await stopServer(server);
    const errors = setup.failed + run.errorFrames + run.closes + run.socketErrors + run.sendFailures + run.timeouts;
    return {
      scenario: sc.name,
      target,
      rep,
      setup,
      run,
      idle: {
        rssBeforeMiB: rssBefore,
        rssConnectedMiB: rssConnected,
        kibPerConn: main.connected > 0 ? ((rssConnected - rssBefore) * 1024) / main.connected : NaN,
      },
      serverExitCode: exitCode,
      serverLogTail: server.output.filter((l) => l.trim() && !/serving http|^listening \d+/.test(l)).slice(-20),
      errors,
      before: quiet,
      server,
    };
  } catch (err) {
    await lg.close().catch(() => {});
    await stopServer(server).catch(() => {});
    log(`server output:\n${server.output.slice(-30).join('\n')}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface ProfileSummary {
  readonly file: string;
  readonly windowOnly: boolean;
  readonly samples: number;
  readonly idlePct: number;
  readonly intervalUs: number;
  /** Self time, % of the non-idle samples. */
  readonly topSelf: { fn: string; where: string; pct: number }[];
  readonly byArea: { area: string; pct: number }[];
  /** Inclusive time of Colloquy's own functions, % of non-idle samples. */
  readonly topInclusiveColloquy: { fn: string; where: string; pct: number }[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith(SNAPSHOT)) return u.slice(SNAPSHOT.length + 1);
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(ROOT)) return u.slice(ROOT.length + 1);
  return u;
}

function areaOf(frame: ProfileNode['callFrame']): string {
  const fn = frame.functionName;
  if (!frame.url) {
    if (fn === '(garbage collector)' || fn === '(program)' || fn === '(idle)' || fn === '(root)') return fn;
    return `native: ${fn || '(anonymous)'}`;
  }
  const u = shortUrl(frame.url);
  if (u.startsWith('node:')) return u.replace(/^node:internal\//, 'node:');
  if (u.startsWith('dist/')) return `colloquy: ${u.slice(5).replace(/\.js$/, '')}`;
  const parts = u.split('/');
  return `pkg: ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
}

export function summariseProfile(file: string, window?: { start: number; end: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  let t = p.startTime;
  const times = p.timeDeltas.map((d) => (t += d));
  const useWindow = !!window && window.start >= p.startTime && window.end <= p.endTime + 1e6 && window.end > window.start;
  const key = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'}\u0000${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const ts = times[i]!;
    if (useWindow && (ts < window!.start || ts > window!.end)) continue;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total++;
    if (node.callFrame.functionName === '(idle)') {
      idle++;
      continue;
    }
    const k = key(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + 1);
    const a = areaOf(node.callFrame);
    area.set(a, (area.get(a) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!shortUrl(f.url).startsWith('dist/')) continue;
      const kk = key(f);
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclusive.set(kk, (inclusive.get(kk) ?? 0) + 1);
    }
  }
  const busy = Math.max(1, total - idle);
  const split = (k: string) => {
    const [fn, where] = k.split('\u0000');
    return { fn: fn ?? '', where: where ?? '' };
  };
  const pct = (n: number) => Math.round((n / busy) * 1000) / 10;
  return {
    file,
    windowOnly: useWindow,
    samples: total,
    idlePct: Math.round((idle / Math.max(1, total)) * 1000) / 10,
    intervalUs: p.samples.length > 1 ? Math.round((p.endTime - p.startTime) / p.samples.length) : NaN,
    topSelf: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, n]) => ({ ...split(k), pct: pct(n) })),
    byArea: [...area.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([a, n]) => ({ area: a, pct: pct(n) })),
    topInclusiveColloquy: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, n]) => ({ ...split(k), pct: pct(n) })),
  };
}

async function profileRun(): Promise<{ cell: Cell; summary: ProfileSummary; setupSummary: ProfileSummary }> {
  const dir = join(OUT_DIR, 'profile');
  mkdirSync(dir, { recursive: true });
  const existing = new Set(readdirSync(dir));
  const sc: Scenario = { name: 'closed-1000 (profiled)', mode: 'closed', connections: 1000 };
  log(`profile: Colloquy under --cpu-prof (interval ${opts.profileIntervalUs} µs), closed loop, 1000 connections`);
  const { server: _s, ...cell } = await measure('colloquy', sc, 0, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${opts.profileIntervalUs}`]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !existing.has(f));
  if (files.length === 0) throw new Error(`no .cpuprofile written to ${dir} (server exit code ${cell.serverExitCode})`);
  const file = join(dir, files[0]!);
  return { cell, summary: summariseProfile(file, cell.run.windowMonoUs), setupSummary: summariseProfile(file, cell.setup.windowMonoUs) };
}

interface PerfSelf {
  /** Symbols grouped into what they do (regex heuristics), % of all samples. */
  readonly byCategory: { category: string; pct: number }[];
  /** On-CPU samples of the server process by binary, % of all samples. */
  readonly byDso: { dso: string; pct: number }[];
  readonly topSymbols: { symbol: string; dso: string; pct: number }[];
}

interface PerfSummary extends PerfSelf {
  readonly file: string;
  /** Inclusive (self + callees) % of on-CPU samples, from call graphs (only with --perf-callgraph). */
  readonly inclusive: { what: string; pct: number }[];
  /** The same self-time view for the main session-setup batch. */
  readonly setup: PerfSelf | null;
}

const PERF_MARKERS: [string, RegExp][] = [
  ['V8/Node background threads (concurrent GC marking/sweeping, compiler)', /^node::\(anonymous namespace\)::PlatformWorkerThread$/],
  ['main-thread GC (Heap::CollectGarbage)', /^v8::internal::Heap::CollectGarbage$/],
  ['SQLite: sqlite3_step (all statements incl. COMMIT)', /^sqlite3_step$/],
  ['SQLite: commit phase one (writing WAL frames)', /^sqlite3PagerCommitPhaseOne/],
  ['better-sqlite3 Statement.run', /^Statement::JS_run$/],
  ['better-sqlite3 Statement.get', /^Statement::JS_get$/],
  ['syscall pwrite64 (WAL / DB page writes)', /^__x64_sys_pwrite64$/],
  ['syscall pread64', /^__x64_sys_pread64$/],
  ['syscall fsync', /^__x64_sys_fsync$/],
  ['syscall fdatasync', /^__x64_sys_fdatasync$/],
  ['syscall writev (socket sends)', /^__x64_sys_writev$/],
  ['syscall write', /^__x64_sys_write$/],
  ['syscall read (socket reads)', /^__x64_sys_read$/],
  ['syscall epoll_pwait', /^__x64_sys_epoll_pwait$/],
  ['JSON.stringify (C++)', /^v8::internal::JsonStringifier::Stringify/],
  ['JSON.parse (C++)', /^v8::internal::JsonParser<.*>::ParseJson$/],
];

const PERF_CATEGORIES: [string, (dso: string, sym: string) => boolean][] = [
  ['kernel: file system / page cache (SQLite WAL writes, fsync)', (d, s) => d.includes('kernel') && /ext4|jbd2|folio|buffer|filemap|iomap|block|blk|bio|fsync|writeback|generic_perform_write|virtio_blk|mpage|__find_get_block|mark_page|balance_dirty|copy_folio_from_iter|xas_|file_write|vfs_write|ksys_write|fdatasync|dirty/i.test(s)],
  ['kernel: network (loopback TCP)', (d, s) => d.includes('kernel') && /tcp|sock|skb|ip_|ipv4|net_|netif|__dev_|loopback|inet|sk_|napi|epoll|ep_|do_sys_poll|unix_/i.test(s)],
  ['kernel: memory (page faults, zeroing, munmap)', (d, s) => d.includes('kernel') && /page|mm_|memcg|lru|pte|pmd|fault|clear_|zap_|munmap|mmap|vma|alloc_|free_|rmqueue|__memset|memset|kmem|slab|kfree|kmalloc/i.test(s)],
  ['kernel: other (syscall entry, scheduling, …)', (d) => d.includes('kernel')],
  ['V8 garbage collection and allocation', (d, s) => d === 'node' && /Scaveng|Mark|Sweep|Evacuat|Compact|Heap|GC|Remembered|Worklist|Barrier|MemoryChunk|Visit|FreeList|Allocat|Pretenuring|SemiSpace|OnMoveEvent|SizeFromMap/.test(s)],
  ['V8 JSON (stringify / parse)', (d, s) => d === 'node' && /Json/.test(s)],
  ['V8 builtins (promises, Map lookups, inline caches, calls, …)', (d, s) => d === 'node' && /^Builtins_/.test(s)],
  ['V8 strings (flattening, UTF-8, copies)', (d, s) => d === 'node' && /String|CopyChars|Utf8/.test(s)],
  ['Node C++ and libuv (stream writes, callbacks)', (d, s) => d === 'node' && /^node::|^uv_|^uv__/.test(s)],
  ['V8 runtime (property lookup, map transitions, IC misses, …)', (d) => d === 'node'],
  ['SQLite (better-sqlite3 native)', (d) => d.includes('sqlite')],
  ['JIT-compiled JavaScript', (d) => d.includes('JIT')],
  ['libc (memcpy, malloc, …)', (d) => d.includes('libc')],
];

function perfAvailable(): boolean {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function shortSymbol(sym: string): string {
  // JIT frames from --perf-basic-prof: "JS:*apply file:///…/dist/storage/sqlite/store.js:97:10"
  return sym.replace(/file:\/\/\S*?\/(dist|node_modules)\//, '$1/');
}

const cleanSym = (cols: string[]) => (cols.join(' ') || '').replace(/^\[[.k]\]\s*/, '');

function perfReport(file: string, sort: string, children = false): { pct: number; cols: string[] }[] {
  const text = execFileSync('perf', ['report', '-i', file, '--stdio', children ? '--children' : '--no-children', '--sort', sort, '--percent-limit', '0', '-g', 'none'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const rows: { pct: number; cols: string[] }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(.*)$/.exec(line);
    // With --children the self % follows the total %: "12.34%  0.56%  [.] sym".
    if (m) rows.push({ pct: Number(m[1]), cols: m[2]!.replace(/^[\d.]+%\s+/, '').split(/\s{2,}/) });
  }
  return rows;
}

function perfSelf(file: string): PerfSelf {
  const byDso = perfReport(file, 'dso').map((r) => ({ dso: r.cols[0] ?? '', pct: r.pct }));
  const all = perfReport(file, 'dso,sym');
  const cats = new Map<string, number>();
  for (const r of all) {
    const dso = r.cols[0] ?? '';
    const sym = cleanSym(r.cols.slice(1));
    const cat = PERF_CATEGORIES.find(([, test]) => test(dso, sym))?.[0] ?? `other: ${dso}`;
    cats.set(cat, (cats.get(cat) ?? 0) + r.pct);
  }
  const byCategory = [...cats.entries()].sort((a, b) => b[1] - a[1]).map(([category, pct]) => ({ category, pct: Math.round(pct * 10) / 10 }));
  const topSymbols = all.slice(0, 40).map((r) => ({ dso: r.cols[0] ?? '', symbol: shortSymbol(cleanSym(r.cols.slice(1))), pct: r.pct }));
  return { byCategory, byDso, topSymbols };
}

function perfInclusive(file: string): { what: string; pct: number }[] {
  const incl = perfReport(file, 'sym', true).map((r) => ({ sym: cleanSym(r.cols), pct: r.pct }));
  const inclusive: { what: string; pct: number }[] = [];
  for (const [what, re] of PERF_MARKERS) {
    const hit = incl.find((r) => re.test(r.sym));
    if (hit) inclusive.push({ what, pct: hit.pct });
  }
  // JavaScript functions, their baseline (^) and optimised (*) code merged (an approximation: summed).
  const js = new Map<string, number>();
  for (const r of incl) {
    const m = /^JS:[*^~]?(\S*) (?:file:\/\/)?\S*?\/(dist|node_modules)\/(\S+)$/.exec(r.sym);
    if (!m) continue;
    const key = `JS ${m[1] || '(anonymous)'} ${m[2]}/${m[3]}`;
    js.set(key, (js.get(key) ?? 0) + r.pct);
  }
  for (const [what, pct] of [...js.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) inclusive.push({ what, pct: Math.min(100, Math.round(pct * 10) / 10) });
  return inclusive;
}

// Call graphs (-g) are opt-in: on this VM they halved the server's throughput and CPU share.
const PERF_RECORD = (pid: number, file: string) => ['record', '-e', 'cpu-clock', '-F', '999', ...(opts.perfCallgraph ? ['-g'] : []), '-p', String(pid), '-o', file];

/** `perf record` of a process until the returned function is called; perf runs next to the load generator (core 1). */
function perfRecord(pid: number, file: string): () => Promise<void> {
  const argv = PERF_RECORD(pid, file);
  const p = pinning.pinned ? spawn('taskset', ['-c', '1', 'perf', ...argv], { stdio: 'ignore' }) : spawn('perf', argv, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return async () => {
    p.kill('SIGINT');
    await Promise.race([exited, sleep(15_000)]);
  };
}

/** On-CPU profile (perf, cpu-clock at 999 Hz) of Colloquy: the main setup batch, and the measured window of a closed-loop run. */
async function perfRun(): Promise<{ cell: Cell; summary: PerfSummary }> {
  const dir = join(OUT_DIR, 'profile');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `perf-${Date.now()}.data`);
  const setupFile = file.replace(/\.data$/, '-setup.data');
  const sc: Scenario = { name: 'closed-1000 (perf)', mode: 'closed', connections: 1000 };
  log('perf: Colloquy with --perf-basic-prof under `perf record`, closed loop, 1000 connections');
  const { server: _s, ...cell } = await measure(
    'colloquy',
    sc,
    0,
    ['--perf-basic-prof'],
    async (server) => {
      await sleep(opts.warmupMs + 10);
      const stop = perfRecord(server.pid, file);
      await sleep(opts.durationMs - opts.warmupMs);
      await stop();
    },
    (server) => perfRecord(server.pid, setupFile),
  );
  return {
    cell,
    summary: {
      file,
      ...perfSelf(file),
      inclusive: opts.perfCallgraph ? perfInclusive(file) : [],
      setup: existsSync(setupFile) ? perfSelf(setupFile) : null,
    },
  };
}

function formatPerf(p: PerfSummary, c: Cell): string {
  const r = c.run;
  return [
    `### On-CPU profile of Colloquy (\`perf record -e cpu-clock -F 999${opts.perfCallgraph ? ' -g' : ''}\`, measured window, closed loop, 1000 connections)`,
    '',
    `Profiled run: ${f0(r.msgPerSec)} msg/s, server CPU ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg. Only time on a CPU is sampled (blocking in fsync is not), kernel included. File: \`${shortUrl(p.file)}\``,
    '',
    storeLine(c),
    '',
    '| what (symbol heuristics) | % of on-CPU samples |',
    '|---|---:|',
    ...p.byCategory.map((c) => `| ${c.category} | ${c.pct} |`),
    '',
    '| binary | % of on-CPU samples |',
    '|---|---:|',
    ...p.byDso.slice(0, 12).map((d) => `| ${d.dso} | ${d.pct} |`),
    '',
    ...(p.inclusive.length
      ? [
          '**Inclusive on-CPU time** (self + callees, from call graphs; JS = baseline and optimised code of a function summed; `-g` slowed the server here, so read these as shares, not costs)',
          '',
          '| what | % of on-CPU samples |',
          '|---|---:|',
          ...p.inclusive.map((x) => `| ${x.what.startsWith('JS ') ? `\`${x.what.slice(3).replace(/\|/g, '\\|')}\`` : x.what} | ${x.pct} |`),
          '',
        ]
      : []),
    '**Top symbols by self time**',
    '',
    '| symbol | binary | % |',
    '|---|---|---:|',
    ...p.topSymbols.slice(0, 30).map((x) => `| \`${x.symbol.replace(/\|/g, '\\|')}\` | ${x.dso} | ${x.pct} |`),
    '',
    ...(p.setup
      ? [
          `**Session setup phase, same server** (${f0(c.setup.sessionsPerSec)} sessions/s, server CPU ${f0(c.setup.serverCpuPct)} % = ${f0(c.setup.serverCpuUsPerSession)} µs per session)`,
          '',
          '| what (symbol heuristics) | % of on-CPU samples |',
          '|---|---:|',
          ...p.setup.byCategory.map((x) => `| ${x.category} | ${x.pct} |`),
          '',
          '| symbol | binary | % |',
          '|---|---|---:|',
          ...p.setup.topSymbols.slice(0, 20).map((x) => `| \`${x.symbol.replace(/\|/g, '\\|')}\` | ${x.dso} | ${x.pct} |`),
          '',
        ]
      : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// aggregation and report

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Agg {
  readonly scenario: string;
  readonly target: Target;
  readonly reps: number;
  readonly msgPerSec: number;
  readonly msgPerSecMin: number;
  readonly msgPerSecMax: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly serverCpuPct: number;
  readonly cpuUsPerMsg: number;
  readonly cpuUsMin: number;
  readonly cpuUsMax: number;
  readonly loadgenCpuPct: number;
  readonly otherCpuPctMax: number;
  readonly peakRssMiB: number;
  readonly idleKiBPerConn: number;
  readonly setupPerSec: number;
  readonly setupP99Ms: number;
  readonly setupServerCpuPct: number;
  readonly setupCpuUsPerSession: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly offeredRate: number | null;
  readonly store: { commitsPerSec: number; meanBatch: number; meanCommitMs: number; commitWallPct: number } | null;
  readonly io: { writeSyscalls: number; readSyscalls: number; storageWriteBytes: number } | null;
}

function aggregate(cells: Cell[]): Agg {
  const c0 = cells[0]!;
  const m = (f: (c: Cell) => number) => median(cells.map(f));
  const tput = cells.map((c) => c.run.msgPerSec);
  const cpu = cells.map((c) => c.run.serverCpuUsPerMsg);
  return {
    scenario: c0.scenario,
    target: c0.target,
    reps: cells.length,
    msgPerSec: median(tput),
    msgPerSecMin: Math.min(...tput),
    msgPerSecMax: Math.max(...tput),
    p50: m((c) => c.run.latencyMs.p50),
    p95: m((c) => c.run.latencyMs.p95),
    p99: m((c) => c.run.latencyMs.p99),
    p999: m((c) => c.run.latencyMs.p999),
    max: m((c) => c.run.latencyMs.max),
    serverCpuPct: m((c) => c.run.serverCpuPct),
    cpuUsPerMsg: median(cpu),
    cpuUsMin: Math.min(...cpu),
    cpuUsMax: Math.max(...cpu),
    loadgenCpuPct: m((c) => c.run.loadgenCpuPct),
    otherCpuPctMax: Math.max(...cells.map((c) => c.run.otherCpuPct)),
    peakRssMiB: m((c) => c.run.serverRssMiB.hwm),
    // Below a few hundred sessions, heap noise (±several MiB) swamps the per-session figure.
    idleKiBPerConn: c0.setup.requested >= 500 ? m((c) => c.idle.kibPerConn) : NaN,
    setupPerSec: m((c) => c.setup.sessionsPerSec),
    setupP99Ms: m((c) => c.setup.latencyMs.p99),
    setupServerCpuPct: m((c) => c.setup.serverCpuPct),
    setupCpuUsPerSession: m((c) => c.setup.serverCpuUsPerSession),
    errors: cells.reduce((n, c) => n + c.errors, 0),
    timeouts: cells.reduce((n, c) => n + c.run.timeouts, 0),
    offeredRate: c0.run.offeredRate,
    store: cells.every((c) => c.run.store)
      ? {
          commitsPerSec: m((c) => c.run.store!.commitsPerSec),
          meanBatch: m((c) => c.run.store!.meanBatch),
          meanCommitMs: m((c) => c.run.store!.meanCommitMs),
          commitWallPct: m((c) => c.run.store!.commitWallPct),
        }
      : null,
    io: cells.every((c) => c.run.ioPerMsg)
      ? {
          writeSyscalls: m((c) => c.run.ioPerMsg!.writeSyscalls),
          readSyscalls: m((c) => c.run.ioPerMsg!.readSyscalls),
          storageWriteBytes: m((c) => c.run.ioPerMsg!.storageWriteBytes),
        }
      : null,
  };
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');

function report(aggs: Agg[], scenarios: Scenario[], cellsOf: (a: Agg) => Cell[]): { md: string; targets: TargetCheck[] } {
  const get = (s: string, t: Target) => aggs.find((a) => a.scenario === s && a.target === t);
  const lines: string[] = [];
  const closed = scenarios.filter((s) => s.mode === 'closed');
  const open = scenarios.filter((s) => s.mode === 'open');
  if (closed.length) {
    lines.push(
      '### Closed loop (1 request in flight per connection)',
      '',
      'msg/s = completed request→bot_response round trips per second (median of reps [min–max]); latency in ms (median over reps); ' +
        'CPU µs/msg = server CPU (utime+stime) per round trip; "×echo" = Colloquy ÷ raw ws echo of the same run.',
      '',
      '| conns | server | msg/s | ×echo | p50 ms | p95 ms | p99 ms | max ms | server CPU % | CPU µs/msg | ×echo | loadgen CPU % | peak RSS MiB | idle KiB/conn | setup sessions/s | errors | other CPU % (max) | reps |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of closed) {
      const e = get(s.name, 'echo');
      for (const t of opts.targets) {
        const a = get(s.name, t);
        if (!a) continue;
        const isC = t === 'colloquy';
        lines.push(
          `| ${s.connections} | ${t === 'echo' ? 'ws echo' : '**Colloquy**'} | ${f0(a.msgPerSec)} [${f0(a.msgPerSecMin)}–${f0(a.msgPerSecMax)}] | ${isC && e ? `**${ratio(a.msgPerSec, e.msgPerSec)}**` : '1.00×'} | ${f2(a.p50)} | ${f2(a.p95)} | ${f2(a.p99)} | ${f1(a.max)} | ${f0(a.serverCpuPct)} | ${f1(a.cpuUsPerMsg)} [${f1(a.cpuUsMin)}–${f1(a.cpuUsMax)}] | ${isC && e ? `**${ratio(a.cpuUsPerMsg, e.cpuUsPerMsg)}**` : '1.00×'} | ${f0(a.loadgenCpuPct)} | ${f0(a.peakRssMiB)} | ${f2(a.idleKiBPerConn)} | ${f0(a.setupPerSec)} | ${a.errors} | ${f1(a.otherCpuPctMax)} | ${a.reps} |`,
        );
      }
      const c = get(s.name, 'colloquy');
      if (c && e) {
        lines.push(
          `| ${s.connections} | *Colloquy ÷ echo* | *${ratio(c.msgPerSec, e.msgPerSec)}* | | *${ratio(c.p50, e.p50)}* | *${ratio(c.p95, e.p95)}* | *${ratio(c.p99, e.p99)}* | *${ratio(c.max, e.max)}* | *${ratio(c.serverCpuPct, e.serverCpuPct)}* | *${ratio(c.cpuUsPerMsg, e.cpuUsPerMsg)}* | | *${ratio(c.loadgenCpuPct, e.loadgenCpuPct)}* | *${ratio(c.peakRssMiB, e.peakRssMiB)}* | *${ratio(c.idleKiBPerConn, e.idleKiBPerConn)}* | *${ratio(c.setupPerSec, e.setupPerSec)}* | | | |`,
        );
      }
    }
    lines.push('');
  }
  if (open.length) {
    lines.push(
      '### Open loop (fixed aggregate rate, round-robin; latency from the *scheduled* send time)',
      '',
      '| offered msg/s | conns | server | achieved msg/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | p99 ×echo | server CPU % | CPU µs/msg | ×echo | timeouts | errors | other CPU % (max) | reps |',
      '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of open) {
      const e = get(s.name, 'echo');
      for (const t of opts.targets) {
        const a = get(s.name, t);
        if (!a) continue;
        const isC = t === 'colloquy';
        lines.push(
          `| ${f0(s.rate ?? NaN)} | ${s.connections} | ${t === 'echo' ? 'ws echo' : '**Colloquy**'} | ${f0(a.msgPerSec)} | ${f2(a.p50)} | ${f2(a.p95)} | ${f2(a.p99)} | ${f2(a.p999)} | ${f1(a.max)} | ${isC && e ? `**${ratio(a.p99, e.p99)}**` : '1.00×'} | ${f0(a.serverCpuPct)} | ${f1(a.cpuUsPerMsg)} | ${isC && e ? `**${ratio(a.cpuUsPerMsg, e.cpuUsPerMsg)}**` : '1.00×'} | ${a.timeouts} | ${a.errors} | ${f1(a.otherCpuPctMax)} | ${a.reps} |`,
        );
      }
    }
    lines.push('');
  }
  lines.push(
    '### Session setup (bounded concurrency; Colloquy: mint JWT → jwtgrant → rtm/start → WebSocket → bot_active; echo: WebSocket open)',
    '',
    `${opts.setupConcurrency} sessions in flight; the warm-up batch (10 %, at most 100) is not counted. Idle KiB/session = server RSS growth after a forced GC / sessions (only shown from 1000 sessions up).`,
    '',
    '| scenario | server | sessions/s | ×echo | p50 ms | p99 ms | server CPU % | server CPU µs/session | idle KiB/session |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...aggs.flatMap((a) => {
      const e = aggs.find((x) => x.scenario === a.scenario && x.target === 'echo');
      const cells0 = cellsOf(a);
      const p50 = median(cells0.map((c) => c.setup.latencyMs.p50));
      return [
        `| ${a.scenario} | ${a.target === 'echo' ? 'ws echo' : '**Colloquy**'} | ${f0(a.setupPerSec)} | ${a.target === 'colloquy' && e ? ratio(a.setupPerSec, e.setupPerSec) : '1.00×'} | ${f1(p50)} | ${f1(a.setupP99Ms)} | ${f0(a.setupServerCpuPct)} | ${f0(a.setupCpuUsPerSession)} | ${f2(a.idleKiBPerConn)} |`,
      ];
    }),
    '',
  );
  const withStore = aggs.filter((a) => a.store);
  if (withStore.length) {
    lines.push(
      '### Colloquy group commit in the measured window (from its /metrics histograms)',
      '',
      'Per round trip: write/read system calls and bytes that reached the block device, from /proc/<pid>/io (echo for comparison).',
      '',
      '| scenario | msg/s | commits/s | appends per commit | ms per commit | % of wall time in COMMIT batches | write syscalls / msg | read syscalls / msg | disk bytes / msg | echo: write / read syscalls per msg |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...withStore.map((a) => {
        const e = aggs.find((x) => x.scenario === a.scenario && x.target === 'echo');
        return `| ${a.scenario} | ${f0(a.msgPerSec)} | ${f0(a.store!.commitsPerSec)} | ${f1(a.store!.meanBatch)} | ${f2(a.store!.meanCommitMs)} | ${f0(a.store!.commitWallPct)} | ${f2(a.io?.writeSyscalls ?? NaN)} | ${f2(a.io?.readSyscalls ?? NaN)} | ${f0(a.io?.storageWriteBytes ?? NaN)} | ${e?.io ? `${f2(e.io.writeSyscalls)} / ${f2(e.io.readSyscalls)}` : '–'} |`;
      }),
      '',
    );
  }
  const targets = checkTargets(aggs, scenarios);
  if (targets.length) {
    lines.push('### Targets (issue; 2 cores, server and generator pinned apart, embedded default store)', '', '| target | goal | measured | verdict |', '|---|---|---|---|');
    for (const t of targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass ? 'met' : `**missed** (${t.miss})`} |`);
    lines.push('');
  }
  return { md: lines.join('\n'), targets };
}

interface TargetCheck {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly miss: string;
}

function checkTargets(aggs: Agg[], scenarios: Scenario[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const c1000 = scenarios.find((s) => s.mode === 'closed' && s.connections === 1000);
  const o5k = scenarios.find((s) => s.mode === 'open' && s.rate === 5000 && s.connections === 1000);
  const get = (s: Scenario | undefined, t: Target) => (s ? aggs.find((a) => a.scenario === s.name && a.target === t) : undefined);
  const ce = get(c1000, 'echo');
  const cc = get(c1000, 'colloquy');
  if (ce && cc) {
    const r = cc.msgPerSec / ce.msgPerSec;
    out.push({
      name: 'G1 throughput, closed loop, 1000 conns',
      goal: '≥ 0.50× raw ws echo',
      measured: `${r.toFixed(2)}× (${f0(cc.msgPerSec)} vs ${f0(ce.msgPerSec)} msg/s)`,
      pass: r >= 0.5,
      miss: `${((0.5 - r) * 100).toFixed(0)} points short; needs ${f0(0.5 * ce.msgPerSec)} msg/s, ${(0.5 / r).toFixed(2)}× the current rate`,
    });
  }
  if (cc) {
    out.push({
      name: 'G2 server CPU per round trip, 1000 conns',
      goal: '≤ 45 µs',
      measured: `${f1(cc.cpuUsPerMsg)} µs${ce ? ` (${ratio(cc.cpuUsPerMsg, ce.cpuUsPerMsg)} echo's ${f1(ce.cpuUsPerMsg)} µs)` : ''}`,
      pass: cc.cpuUsPerMsg <= 45,
      miss: `${f1(cc.cpuUsPerMsg - 45)} µs over (${((cc.cpuUsPerMsg / 45 - 1) * 100).toFixed(0)} % too much)`,
    });
  }
  const oc = get(o5k, 'colloquy');
  if (oc) {
    const achieved = oc.msgPerSec / 5000;
    out.push({
      name: 'G3 latency, open loop 5k msg/s, 1000 conns',
      goal: 'p99 ≤ 10 ms (realistic goal also: p50 ≤ 3 ms, max ≤ 50 ms, 0 errors)',
      measured: `p50 ${f2(oc.p50)} / p99 ${f2(oc.p99)} / max ${f1(oc.max)} ms, achieved ${f0(oc.msgPerSec)} msg/s (${(achieved * 100).toFixed(0)} %), ${oc.errors} errors`,
      pass: oc.p99 <= 10 && oc.errors === 0,
      miss: oc.p99 > 10 ? `p99 ${f2(oc.p99 - 10)} ms over (${(oc.p99 / 10).toFixed(1)}× the goal)` : `${oc.errors} errors`,
    });
  }
  return out;
}

function storeLine(c: Cell): string {
  const st = c.run.store;
  if (!st) return '';
  const io = c.run.ioPerMsg;
  const ioText = io
    ? ` Per round trip the server made ${f1(io.writeSyscalls)} write and ${f1(io.readSyscalls)} read system calls, wrote ${f0(io.wcharBytes)} B through them (sockets + files) and ${f0(io.storageWriteBytes)} B reached the block device.`
    : '';
  const buckets = Object.entries(st.commitMsBuckets)
    .filter(([, n]) => n > 0)
    .map(([le, n]) => `≤${le}: ${n}`)
    .join(', ');
  return (
    `Group commit in that window: ${f0(st.commitsPerSec)} commits/s, ${f1(st.meanBatch)} appends per commit, ${f2(st.meanCommitMs)} ms per commit ` +
    `⇒ ${f0(st.commitWallPct)} % of wall time inside COMMIT batches (commit-time buckets: ${buckets}).` +
    ioText
  );
}

function formatSetupProfile(s: ProfileSummary, c: Cell): string {
  return [
    `**Session setup phase of the same profile** (${f0(c.setup.sessionsPerSec)} sessions/s; jwtgrant → rtm/start → WebSocket → bot_active; ${s.windowOnly ? 'setup window only' : 'whole process'}; ${s.samples.toLocaleString('en-US')} samples, ${s.idlePct} % idle)`,
    '',
    '| area | self % |',
    '|---|---:|',
    ...s.byArea.slice(0, 10).map((a) => `| ${a.area} | ${a.pct} |`),
    '',
    '| function | where | self % |',
    '|---|---|---:|',
    ...s.topSelf.slice(0, 15).map((f) => `| \`${f.fn}\` | ${f.where} | ${f.pct} |`),
    '',
  ].join('\n');
}

function formatProfile(s: ProfileSummary, c: Cell): string {
  const r = c.run;
  const lines = [
    `### CPU profile of Colloquy (closed loop, 1000 connections; ${s.windowOnly ? 'measured window only' : 'whole process lifetime'})`,
    '',
    `Profiled run: ${f0(r.msgPerSec)} msg/s, server CPU ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg (profiler overhead included). ` +
      `${s.samples.toLocaleString('en-US')} samples at ≈${s.intervalUs} µs, ${s.idlePct} % idle; percentages are of the non-idle samples. ` +
      `V8 samples the main thread whether it is on a CPU or blocked in a system call, so time blocked in fsync shows up as self time of \`sqliteTransaction\`/\`apply\`. ` +
      `File: \`${shortUrl(s.file)}\``,
    '',
    storeLine(c),
    '',
    '**Self time by area**',
    '',
    '| area | self % |',
    '|---|---:|',
    ...s.byArea.slice(0, 15).map((a) => `| ${a.area} | ${a.pct} |`),
    '',
    '**Top functions by self time**',
    '',
    '| function | where | self % |',
    '|---|---|---:|',
    ...s.topSelf.slice(0, 25).map((f) => `| \`${f.fn}\` | ${f.where} | ${f.pct} |`),
    '',
    '**Colloquy functions by inclusive time** (self + callees)',
    '',
    '| function | where | total % |',
    '|---|---|---:|',
    ...s.topInclusiveColloquy.slice(0, 20).map((f) => `| \`${f.fn}\` | ${f.where} | ${f.pct} |`),
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const build = snapshotDist();
  process.on('exit', () => rmSync(SNAPSHOT, { recursive: true, force: true }));
  log(`measuring the build in dist/ as of now (sha1 ${build.sha1}, ${build.files} files; git ${machine.git?.commit ?? '?'}${machine.git?.dirtySrcFiles ? ` + ${machine.git.dirtySrcFiles} uncommitted src file(s)` : ''}), copied to ${build.dir.slice(ROOT.length + 1)}`);
  const scenarios: Scenario[] = [
    ...opts.connections.map((n): Scenario => ({ name: `closed-${n}`, mode: 'closed', connections: n })),
    ...opts.rates.map((r): Scenario => ({ name: `open-${r}@${opts.openConnections}`, mode: 'open', connections: opts.openConnections, rate: r })),
  ];
  const started = new Date();
  log(`machine: ${machine.cpus}× ${machine.cpu}, ${machine.kernel}, Node ${machine.node}; ${pinning.why}`);
  log(`runs: ${opts.durationMs / 1000} s (first ${opts.warmupMs / 1000} s excluded), ${opts.reps} rep(s); scenarios: ${scenarios.map((s) => s.name).join(', ')}`);

  const cells: Cell[] = [];
  if (!opts.profileOnly) {
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const sc of scenarios) {
        for (const target of opts.targets) {
          let best: Cell | undefined;
          for (let attempt = 0; attempt <= opts.retries; attempt++) {
            const { server: _s, ...c } = await measure(target, sc, rep);
            if (!best || c.run.otherCpuPct < best.run.otherCpuPct) best = c;
            if (c.run.otherCpuPct <= opts.noisyPct) break;
            log(`rep ${rep} ${sc.name} ${target}: other processes used ${f1(c.run.otherCpuPct)} % of a core during the window${attempt < opts.retries ? '; measuring again' : '; keeping the quietest attempt'}`);
          }
          const cell = best!;
          cells.push(cell);
          const r = cell.run;
          log(
            `rep ${rep} ${sc.name} ${target}: ${f0(r.msgPerSec)} msg/s, p50 ${f2(r.latencyMs.p50)} p99 ${f2(r.latencyMs.p99)} max ${f1(r.latencyMs.max)} ms, ` +
              `server ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg, loadgen ${f0(r.loadgenCpuPct)} %, other ${f1(r.otherCpuPct)} %, ` +
              `setup ${cell.setup.connected}/${cell.setup.requested} at ${f0(cell.setup.sessionsPerSec)}/s, idle ${f2(cell.idle.kibPerConn)} KiB/conn, errors ${cell.errors}` +
              (cell.errors || r.errorSamples.length || cell.setup.errorSamples.length ? ` ${JSON.stringify([...cell.setup.errorSamples, ...r.errorSamples])}` : ''),
          );
          if (cell.serverLogTail.length) log(`  server said: ${cell.serverLogTail.slice(-3).join(' | ').slice(0, 600)}`);
        }
      }
    }
  }
  const groups = new Map<string, Cell[]>();
  for (const c of cells) {
    const k = `${c.scenario}|${c.target}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const aggs = [...groups.values()].map(aggregate);
  const { md: tables, targets } = cells.length
    ? report(aggs, scenarios, (a) => cells.filter((c) => c.scenario === a.scenario && c.target === a.target))
    : { md: '', targets: [] };

  let profile: { cell: Cell; summary: ProfileSummary; setupSummary: ProfileSummary } | undefined;
  if (opts.profile) profile = await profileRun();
  let perf: { cell: Cell; summary: PerfSummary } | undefined;
  if (opts.perf) {
    if (perfAvailable()) perf = await perfRun();
    else log('--perf: perf is not installed; skipped');
  }

  const header = [
    `## Colloquy vs raw \`ws\` echo — ${started.toISOString()}`,
    '',
    `Machine: ${machine.cpus}× ${machine.cpu}, ${machine.memGiB} GiB, ${machine.kernel}; Node ${machine.node}, ws ${machine.ws}${machine.bufferutil ? ` + bufferutil ${machine.bufferutil}` : ' (no bufferutil)'}, better-sqlite3 ${machine.betterSqlite3}. ` +
      `Pinning: ${pinning.why}. Runs: ${opts.durationMs / 1000} s, first ${opts.warmupMs / 1000} s excluded, ${opts.reps} rep(s). ` +
      `Colloquy: SQLite synchronous=${opts.sync ?? 'full (default)'}, rate limits raised, log level warn, fresh data dir per run` +
      `${machine.git ? `; source at ${machine.git.commit}${machine.git.dirtySrcFiles ? ` + ${machine.git.dirtySrcFiles} uncommitted file(s) under src/` : ''}` : ''}, build ${build.sha1}.`,
    '',
  ].join('\n');
  const md = [header, tables, profile ? formatProfile(profile.summary, profile.cell) + formatSetupProfile(profile.setupSummary, profile.cell) : '', perf ? formatPerf(perf.summary, perf.cell) : ''].join('\n');
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const json = { started: started.toISOString(), machine, build: { sha1: build.sha1, files: build.files }, options: opts, scenarios, aggregates: aggs, targets, cells, profile, perf };
  writeFileSync(join(OUT_DIR, `${stamp}.json`), JSON.stringify(json, null, 2));
  writeFileSync(join(OUT_DIR, 'latest.json'), JSON.stringify(json, null, 2));
  writeFileSync(join(OUT_DIR, 'latest.md'), md);
  if (profile) writeFileSync(join(OUT_DIR, 'profile', 'latest-summary.json'), JSON.stringify(profile.summary, null, 2));
  console.log(md);
  log(`results: .bench/${stamp}.json, .bench/latest.json, .bench/latest.md`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
