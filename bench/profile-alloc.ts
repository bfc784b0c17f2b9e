/**
 * `--alloc`: bytes of JavaScript heap allocated per round trip. Unlike CPU time this does not move with the
 * VM's neighbours, and it is what the young-generation GC's work grows with. One more open-loop run each of
 * the echo and Colloquy (`--alloc-rate` msg/s over `--open-connections`), with V8's sampling heap profiler
 * running over the measured window — collected objects included (bench/alloc-hook.mjs) — and the sampled bytes
 * divided by the round trips answered in that window.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { f0, f1 } from './format.js';
import { log } from './log.js';
import { measure, type Cell, type Rig, type Scenario } from './measure.js';
import { PROFILE_DIR, shortUrl } from './paths.js';
import type { Target } from './loadgen/protocol.js';
import { areaOf } from './profile-v8.js';

const HOOK = new URL('./alloc-hook.mjs', import.meta.url);

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface AllocSite {
  readonly fn: string;
  readonly where: string;
  readonly bytesPerMsg: number;
}

export interface AllocSummary {
  readonly target: Target;
  readonly file: string;
  /** Round trips answered in the sampled window. */
  readonly msgs: number;
  readonly bytesPerMsg: number;
  readonly byArea: { area: string; bytesPerMsg: number }[];
  readonly topSelf: AllocSite[];
  /** Colloquy's own functions, with what their callees allocated. */
  readonly topInclusive: AllocSite[];
}

export interface AllocProfile {
  readonly rate: number;
  readonly connections: number;
  readonly echo: AllocSummary;
  readonly colloquy: AllocSummary;
  /** Colloquy again, counting only what no young-generation GC collected. */
  readonly survivors: AllocSummary;
  readonly cell: Cell;
}

/** Bytes by function (self), by area, and by Colloquy function including callees, per round trip. */
export function summariseAlloc(target: Target, file: string, msgs: number): AllocSummary {
  const root = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const key = (f: HeapNode['callFrame']) => `${f.functionName || '(anonymous)'}\u0000${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, onPath: ReadonlySet<string>): number => {
    const k = key(n.callFrame);
    total += n.selfSize;
    if (n.selfSize > 0) {
      self.set(k, (self.get(k) ?? 0) + n.selfSize);
      const a = areaOf(n.callFrame);
      area.set(a, (area.get(a) ?? 0) + n.selfSize);
    }
    const mine = shortUrl(n.callFrame.url).startsWith('dist/') && !onPath.has(k);
    const path = mine ? new Set(onPath).add(k) : onPath;
    let sum = n.selfSize;
    for (const c of n.children) sum += walk(c, path);
    if (mine) inclusive.set(k, (inclusive.get(k) ?? 0) + sum);
    return sum;
  };
  walk(root, new Set());
  const per = (b: number) => b / Math.max(1, msgs);
  const sites = (m: Map<string, number>, n: number): AllocSite[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, b]) => {
        const [fn, where] = k.split('\u0000');
        return { fn: fn ?? '', where: where ?? '', bytesPerMsg: per(b) };
      });
  return {
    target,
    file,
    msgs,
    bytesPerMsg: per(total),
    byArea: [...area.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([a, b]) => ({ area: a, bytesPerMsg: per(b) })),
    topSelf: sites(self, 25),
    topInclusive: sites(inclusive, 20),
  };
}

async function allocCell(rig: Rig, target: Target, sc: Scenario, survivors = false): Promise<{ cell: Cell; summary: AllocSummary }> {
  let file = '';
  const hook = new URL(HOOK);
  if (survivors) hook.search = 'survivors';
  const cell = await measure(rig, target, sc, 0, {
    nodeFlags: ['--import', hook.href],
    // The loadgen's window opens `warmupMs` after this starts and lasts `durationMs`: sample exactly that.
    duringRun: async (server) => {
      await sleep(rig.opts.warmupMs);
      process.kill(server.pid, 'SIGWINCH');
      await sleep(rig.opts.durationMs - rig.opts.warmupMs);
      process.kill(server.pid, 'SIGWINCH');
      file = join(PROFILE_DIR, `alloc-${server.pid}.heapprofile`);
      for (let i = 0; i < 300 && !existsSync(file); i++) await sleep(100);
      await sleep(500);
    },
  });
  if (!existsSync(file)) throw new Error(`--alloc: ${target} wrote no heap profile (${file})`);
  return { cell, summary: summariseAlloc(target, file, cell.run.completions) };
}

export async function allocRun(rig: Rig, rate: number): Promise<AllocProfile> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const connections = rig.opts.openConnections;
  const sc: Scenario = { name: `open-${rate}@${connections} (heap sampling)`, mode: 'open', connections, rate };
  log(`alloc: the echo and Colloquy under the sampling heap profiler, open loop ${rate} msg/s over ${connections} connections`);
  const echo = await allocCell(rig, 'echo', sc);
  const colloquy = await allocCell(rig, 'colloquy', sc);
  const survivors = await allocCell(rig, 'colloquy', sc, true);
  log(`alloc: echo ${f0(echo.summary.bytesPerMsg)} B, Colloquy ${f0(colloquy.summary.bytesPerMsg)} B allocated per round trip, ${f0(survivors.summary.bytesPerMsg)} B of it not collected young`);
  return { rate, connections, echo: echo.summary, colloquy: colloquy.summary, survivors: survivors.summary, cell: colloquy.cell };
}

export function formatAlloc(p: AllocProfile): string {
  const c = p.colloquy;
  const kb = (b: number) => f1(b / 1024);
  return [
    `### JavaScript heap allocated per round trip (\`--alloc\`; open loop ${f0(p.rate)} msg/s over ${f0(p.connections)} connections)`,
    '',
    'V8\'s sampling heap profiler (every 512 B on average, objects already collected included) over the measured window; bytes ÷ round trips answered in it. Deterministic where CPU time is not: use it to compare builds. ' +
      `Colloquy's run: ${f1(p.cell.run.serverCpuUsPerMsg)} µs/msg of CPU with the profiler on. Files: \`${shortUrl(p.echo.file)}\`, \`${shortUrl(c.file)}\``,
    '',
    '| server | round trips sampled | KiB per round trip | ×echo |',
    '|---|---:|---:|---:|',
    `| ws echo | ${f0(p.echo.msgs)} | ${kb(p.echo.bytesPerMsg)} | 1.00× |`,
    `| **Colloquy** | ${f0(c.msgs)} | ${kb(c.bytesPerMsg)} | **${(c.bytesPerMsg / p.echo.bytesPerMsg).toFixed(1)}×** |`,
    '',
    '**Colloquy, by area** (bytes per round trip)',
    '',
    '| area | B / round trip |',
    '|---|---:|',
    ...c.byArea.map((a) => `| ${a.area} | ${f0(a.bytesPerMsg)} |`),
    '',
    '**Colloquy, top allocating functions** (self)',
    '',
    '| function | where | B / round trip |',
    '|---|---|---:|',
    ...c.topSelf.map((s) => `| \`${s.fn}\` | ${s.where} | ${f0(s.bytesPerMsg)} |`),
    '',
    '**Colloquy functions with their callees**',
    '',
    '| function | where | B / round trip |',
    '|---|---|---:|',
    ...c.topInclusive.map((s) => `| \`${s.fn}\` | ${s.where} | ${f0(s.bytesPerMsg)} |`),
    '',
    `**What no young-generation GC collected** (a second Colloquy run, \`${shortUrl(p.survivors.file)}\`): ${f0(p.survivors.bytesPerMsg)} B per round trip ` +
      'as the sampling profiler counts them: promoted to the old generation, born there, or still live when it stopped. It counts more than ' +
      'the promotion `--trace-gc-nvp` reports (about 15× more on 2026-11-22), so compare builds with it and size promotion with `--trace-gc-nvp`. By function (self):',
    '',
    '| function | where | B / round trip |',
    '|---|---|---:|',
    ...p.survivors.topSelf.slice(0, 15).map((s) => `| \`${s.fn}\` | ${s.where} | ${f0(s.bytesPerMsg)} |`),
    '',
  ].join('\n');
}
