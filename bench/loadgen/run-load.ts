/**
 * The run phase: drive the fleet's open connections in a closed or an open loop for `durationMs`, and
 * measure the window after the first `warmupMs`. At the window's edges the server's CPU and I/O, our own
 * CPU, the box's CPU and (Colloquy) its `/metrics` are sampled; RSS every 500 ms inside it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMiB } from '../procfs.js';
import type { Conn, Fleet } from './connection.js';
import type { RunCmd, RunResult } from './protocol.js';
import { RunState, SLOT_MS } from './run-state.js';
import { summarise } from './samples.js';
import { scrapeStore, storeStats, type StoreMetrics } from './store-metrics.js';
import { ioPerMsg, monoUs, sampleUsage, usageBetween, type UsageSample } from './usage.js';

/** Closed loop: one request in flight per connection; each reply sends the next (see RunState.complete). */
async function closedLoop(open: Conn[], r: RunState, t0: number): Promise<void> {
  await sleep(Math.max(0, t0 - performance.now()));
  for (const c of open) if (!c.send(performance.now(), false)) r.sendFailures++;
  await sleep(Math.max(0, r.windowEnd - performance.now()) + 1);
}

/**
 * Open loop: request k is due at t0 + k / rate, round-robin over the connections, sent on a 1-ms tick
 * (every request already due goes out). Then wait up to `drainMs` for the window's outstanding replies.
 */
async function openLoop(open: Conn[], r: RunState, t0: number, cmd: RunCmd): Promise<void> {
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

export async function runLoad(fleet: Fleet, cmd: RunCmd): Promise<RunResult> {
  const open = fleet.conns.filter((c) => c.open);
  // The first scrape of a process costs it several times a later one (prom-client's code not yet compiled): let
  // that happen now, while nothing is sent, rather than at the window's first edge, in the middle of the load.
  if (cmd.metricsUrl) await scrapeStore(cmd.metricsUrl).catch(() => null);
  const t0 = performance.now() + 5;
  const windowEnd = t0 + cmd.durationMs;
  const r = new RunState(cmd.mode, t0 + cmd.warmupMs, windowEnd, windowEnd, t0);
  const t0Wall = Date.now() + (t0 - performance.now());
  fleet.run = r;

  let before: UsageSample | undefined;
  let after: UsageSample | undefined;
  let monoStart = 0;
  let monoEnd = 0;
  const rss: number[] = [];
  let metricsStart: Promise<StoreMetrics | null> = Promise.resolve(null);
  let metricsEnd: Promise<StoreMetrics | null> = Promise.resolve(null);
  const scrapeSafe = (url: string) => scrapeStore(url).catch(() => null);
  const pids = cmd.serverPids ?? [cmd.serverPid];
  const serverRss = () => pids.reduce((n, pid) => n + rssMiB(pid).rss, 0);
  const onWindowStart = () => {
    before = sampleUsage(pids, cmd.serviceNames);
    monoStart = monoUs();
    rss.push(serverRss());
    if (cmd.metricsUrl) metricsStart = scrapeSafe(cmd.metricsUrl);
  };
  const onWindowEnd = () => {
    after = sampleUsage(pids, cmd.serviceNames);
    monoEnd = monoUs();
    if (cmd.metricsUrl) metricsEnd = scrapeSafe(cmd.metricsUrl);
  };
  setTimeout(onWindowStart, r.windowStart - performance.now());
  const rssTimer = setInterval(() => {
    const now = performance.now();
    if (now >= r.windowStart && now < r.windowEnd) rss.push(serverRss());
  }, 500);
  const endTimer = setTimeout(onWindowEnd, r.windowEnd - performance.now());

  if (cmd.mode === 'closed') await closedLoop(open, r, t0);
  else await openLoop(open, r, t0, cmd);
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
  fleet.run = null;

  const { windowSec, serverSec, selfSec, serviceSec, otherSec } = usageBetween(b, a, cmd.clkTck);
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
    ...(cmd.serviceNames?.length
      ? { serviceCpuPct: (serviceSec / windowSec) * 100, serviceCpuUsPerMsg: completions > 0 ? (serviceSec * 1e6) / completions : NaN }
      : {}),
    loadgenCpuPct: (selfSec / windowSec) * 100,
    otherCpuPct: Math.max(0, (otherSec / windowSec) * 100),
    serverRssMiB: { mean: rss.length ? rss.reduce((x, y) => x + y, 0) / rss.length : mem.rss, max: Math.max(mem.rss, ...rss), hwm: mem.hwm },
    store: m0 && m1 ? storeStats(m0, m1, windowSec) : null,
    ioPerMsg: ioPerMsg(b, a, completions),
    windowMonoUs: { start: monoStart, end: monoEnd },
    ...(cmd.mode === 'open' ? { timeline: { startWallMs: t0Wall, slotMs: SLOT_MS, warmupMs: cmd.warmupMs, worstMs: Array.from(r.worstBySlot, (x) => x ?? 0) } } : {}),
  };
}
