/**
 * One measurement ("cell"): a fresh server and load generator, a warm-up batch of sessions, the main
 * setup batch with the idle RSS before and after it, then one closed- or open-loop run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isBaseline, type RunResult, type SetupResult, type Target } from './loadgen/protocol.js';
import { f1 } from './format.js';
import { log } from './log.js';
import type { BenchOptions } from './options.js';
import { countInstructions } from './instructions.js';
import { busyTicks, rssMiB } from './procfs.js';
import { isCluster, startCluster, stopCluster } from './cluster.js';
import { startLoadgen, startServer, stopServer, type Server } from './processes.js';

/** What every measurement of a run shares. */
export interface Rig {
  readonly opts: BenchOptions;
  /** Server on core 0, load generator (and perf) on core 1. */
  readonly pinned: boolean;
  readonly clkTck: number;
}

export interface Scenario {
  readonly name: string;
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly rate?: number;
}

export interface Cell {
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
  /** Server instructions per round trip in the measured window (perf stat; not in profiling runs). */
  readonly instructionsPerMsg?: number;
  /** Other processes' CPU (% of a core) just before the cell started, and how long we waited for it. */
  readonly before: { readonly otherPct: number; readonly waitedSec: number };
}

/** Extras for the profiling runs. */
export interface Hooks {
  /** Node flags for the server (profilers). */
  readonly nodeFlags?: string[];
  /** Runs alongside the load run; awaited before the server is stopped. */
  readonly duringRun?: (server: Server) => Promise<void>;
  /** Started before the main setup batch; the returned function is called when it is done. */
  readonly duringSetup?: (server: Server) => () => Promise<void>;
}

/**
 * This box is shared: wait until the other processes' CPU use (sampled over 1 s, while none of ours
 * runs) drops below --quiet-pct % of one core, for at most --quiet-wait s. Returns the last sample.
 */
async function waitForQuiet(rig: Rig): Promise<{ otherPct: number; waitedSec: number }> {
  const { quietPct, quietWaitSec } = rig.opts;
  const t0 = Date.now();
  for (;;) {
    const b = busyTicks();
    await sleep(1000);
    const pct = ((busyTicks() - b) / rig.clkTck) * 100;
    const waitedSec = (Date.now() - t0) / 1000;
    if (pct < quietPct || waitedSec >= quietWaitSec) {
      if (pct >= quietPct) log(`box still busy after ${Math.round(waitedSec)} s (other processes ${pct.toFixed(0)} % of a core); measuring anyway`);
      return { otherPct: pct, waitedSec };
    }
  }
}

/** RSS (MiB) after the server ran a full GC (SIGUSR2); summed over its nodes when it has several. */
async function rssAfterGc(server: Server): Promise<number> {
  const pids = server.pids ?? [server.pid];
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await sleep(400);
  return pids.reduce((n, pid) => n + rssMiB(pid).rss, 0);
}

let tagCounter = 0;

export async function measure(rig: Rig, target: Target, sc: Scenario, rep: number, hooks: Hooks = {}): Promise<Cell> {
  const { opts, clkTck } = rig;
  const quiet = await waitForQuiet(rig);
  const serverConfig = { pinned: rig.pinned, sync: opts.sync, serverFlags: opts.serverFlags };
  const server = isCluster(target) ? await startCluster(target, serverConfig, hooks.nodeFlags) : await startServer(target, serverConfig, hooks.nodeFlags);
  const stop = (s: Server) => (isCluster(target) ? stopCluster(s) : stopServer(s));
  const nodes = server.pids ? { urls: server.urls!, serverPids: server.pids } : {};
  const lg = await startLoadgen(rig.pinned);
  try {
    await sleep(300);
    // A few sessions first, so that code paths are compiled and caches exist before the idle-RSS
    // baseline is taken; setup rate and idle KiB/conn come from the remaining sessions.
    const warm = Math.min(100, Math.max(1, Math.round(sc.connections / 10)));
    const tag = `${process.pid}-${Date.now()}-${tagCounter++}`;
    const base = { target, url: server.url, concurrency: opts.setupConcurrency, welcomeTimeoutMs: 5000, serverPid: server.pid, clkTck, ...nodes };
    const warmSetup = await lg.setup({ ...base, connections: warm, tag: `${tag}-w` });
    await sleep(300);
    const rssBefore = await rssAfterGc(server);
    const stopSetupHook = hooks.duringSetup?.(server);
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
    const rssConnected = await rssAfterGc(server);
    const during = hooks.duringRun?.(server);
    const counting = hooks.nodeFlags ? undefined : countInstructions(server.pids ?? [server.pid], opts.warmupMs, opts.durationMs);
    const run = await lg.run({
      mode: sc.mode,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      ...(sc.rate !== undefined ? { rate: sc.rate } : {}),
      drainMs: 5000,
      timeoutMs: 10_000,
      serverPid: server.pid,
      clkTck,
      ...(nodes.serverPids ? { serverPids: nodes.serverPids } : {}),
      ...(server.serviceNames ? { serviceNames: server.serviceNames } : {}),
      // Group-commit figures of the (first) node.
      ...(!isBaseline(target) ? { metricsUrl: `${server.url}/metrics` } : {}),
    });
    await during;
    const instructions = await counting;
    await lg.close();
    const exitCode = await stop(server);
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
      ...(instructions !== undefined && run.msgPerSec > 0 ? { instructionsPerMsg: instructions / (run.msgPerSec * (opts.durationMs / 1000)) } : {}),
      before: quiet,
    };
  } catch (err) {
    await lg.close().catch(() => {});
    await stop(server).catch(() => {});
    log(`server output:\n${server.output.slice(-30).join('\n')}`);
    throw err;
  }
}

/**
 * `measure`, repeated (up to --retries more times) while other processes used more than --noisy-pct %
 * of a core during the window; keeps the quietest attempt.
 */
export async function measureQuietest(rig: Rig, target: Target, sc: Scenario, rep: number): Promise<Cell> {
  const { retries, noisyPct } = rig.opts;
  let best: Cell | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const c = await measure(rig, target, sc, rep);
    if (!best || c.run.otherCpuPct < best.run.otherCpuPct) best = c;
    if (c.run.otherCpuPct <= noisyPct) break;
    log(`rep ${rep} ${sc.name} ${target}: other processes used ${f1(c.run.otherCpuPct)} % of a core during the window${attempt < retries ? '; measuring again' : '; keeping the quietest attempt'}`);
  }
  return best!;
}
