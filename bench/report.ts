/**
 * The markdown report (.bench/latest.md and stdout), rendered from the same record that is written as
 * JSON: a header, the closed-loop, open-loop, session-setup and group-commit tables with every Colloquy
 * figure as a ratio to the echo of the same run, the goals, then the profiles when there are any.
 */
import { cellsOf, median, type Agg } from './aggregate.js';
import { f0, f1, f2, ratio, serverName } from './format.js';
import type { Target } from './loadgen/protocol.js';
import type { Machine } from './machine.js';
import type { Cell, Scenario } from './measure.js';
import type { BenchOptions } from './options.js';
import { formatDisk, type DiskProbe } from './disk.js';
import { formatEngine, type EngineBench } from './engine.js';
import { formatKnowledge, type KnowledgeBench } from './kb.js';
import { clusterTables } from './report-cluster.js';
import { formatAlloc, type AllocProfile } from './profile-alloc.js';
import { formatPerf, type PerfProfile } from './profile-perf.js';
import { formatV8Profile, type V8Profile } from './profile-v8.js';
import type { TargetCheck } from './targets.js';

/** Everything a run produced: written as .bench/<stamp>.json and .bench/latest.json. */
export interface BenchRecord {
  readonly started: string;
  readonly machine: Machine;
  readonly build: { readonly sha1: string; readonly files: number };
  readonly options: BenchOptions;
  readonly scenarios: Scenario[];
  readonly aggregates: Agg[];
  readonly targets: TargetCheck[];
  readonly cells: Cell[];
  readonly profile: V8Profile | undefined;
  readonly perf: PerfProfile | undefined;
  /** `--alloc`: heap allocated per round trip. */
  readonly alloc?: AllocProfile | undefined;
  /** The disk alone at the open loop's commit rate, before each open-loop run of Colloquy (bench/disk.ts). */
  readonly disks?: readonly DiskProbe[] | undefined;
  /** The dialog engine alone (bench/engine.ts). */
  readonly engine?: EngineBench | undefined;
  /** Knowledge answers (bench/kb.ts). */
  readonly knowledge?: KnowledgeBench | undefined;
}

export function renderMarkdown(rec: BenchRecord): string {
  return [
    header(rec),
    rec.cells.length ? resultTables(rec) : '',
    rec.cells.length ? clusterTables(rec.scenarios, rec.aggregates) : '',
    rec.disks?.length ? formatDisk(rec.disks) : '',
    rec.engine ? formatEngine(rec.engine) : '',
    rec.knowledge ? formatKnowledge(rec.knowledge) : '',
    rec.profile ? formatV8Profile(rec.profile) : '',
    rec.perf ? formatPerf(rec.perf, rec.options.perfCallgraph) : '',
    rec.alloc ? formatAlloc(rec.alloc) : '',
  ].join('\n');
}

function header({ started, machine, build, options: opts }: BenchRecord): string {
  return [
    `## Colloquy vs raw \`ws\` echo — ${started}`,
    '',
    `Machine: ${machine.cpus}× ${machine.cpu}, ${machine.memGiB} GiB, ${machine.kernel}; Node ${machine.node}, ws ${machine.ws}${machine.bufferutil ? ` + bufferutil ${machine.bufferutil}` : ' (no bufferutil)'}, better-sqlite3 ${machine.betterSqlite3}. ` +
      `Pinning: ${machine.pinning}. Runs: ${opts.durationMs / 1000} s, first ${opts.warmupMs / 1000} s excluded, ${opts.reps} rep(s). ` +
      `Colloquy: SQLite synchronous=${opts.sync ?? 'full (default)'}, rate limits raised, log level warn, fresh data dir per run` +
      `${opts.serverFlags?.length ? `, node flags \`${opts.serverFlags.join(' ')}\`` : ''}` +
      `${machine.git ? `; source at ${machine.git.commit}${machine.git.dirtySrcFiles ? ` + ${machine.git.dirtySrcFiles} uncommitted file(s) under src/` : ''}` : ''}, build ${build.sha1}.`,
    '',
  ].join('\n');
}

/** "1.00×" for the echo row; Colloquy ÷ echo, in bold, for Colloquy's. */
/** A figure ÷ the echo's of the same scenario (the echo's own row: 1.00×). */
const vsEcho = (notEcho: boolean, a: number, echo: number | undefined) => (notEcho && echo !== undefined ? `**${ratio(a, echo)}**` : '1.00×');

function resultTables({ options: opts, scenarios, aggregates: aggs, targets, cells }: BenchRecord): string {
  const get = (s: string, t: Target) => aggs.find((a) => a.scenario === s && a.target === t);
  const lines: string[] = [];
  const closed = scenarios.filter((s) => s.mode === 'closed');
  const open = scenarios.filter((s) => s.mode === 'open');
  if (closed.length) {
    lines.push(
      '### Closed loop (1 request in flight per connection)',
      '',
      'msg/s = completed request→bot_response round trips per second (median of reps [min–max]); latency in ms (median over reps); ' +
        'CPU µs/msg = server CPU (utime+stime) per round trip; k instr/msg = thousands of server instructions per round trip (`perf stat`; steadier than CPU time on a busy host); "×echo" = ÷ raw ws echo of the same run. ' +
          'The bare group commit is the echo plus SQLite group commit (ack after COMMIT, `synchronous` as Colloquy\'s): the floor of a durable path.',
      '',
      '| conns | server | msg/s | ×echo | p50 ms | p95 ms | p99 ms | max ms | server CPU % | CPU µs/msg | ×echo | k instr/msg | ×echo | loadgen CPU % | peak RSS MiB | idle KiB/conn | setup sessions/s | errors | other CPU % (max) | reps |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of closed) {
      const e = get(s.name, 'echo');
      for (const t of opts.targets) {
        const a = get(s.name, t);
        if (!a) continue;
        const notEcho = t !== 'echo';
        lines.push(
          `| ${s.connections} | ${serverName(t)} | ${f0(a.msgPerSec)} [${f0(a.msgPerSecMin)}–${f0(a.msgPerSecMax)}] | ${vsEcho(notEcho, a.msgPerSec, e?.msgPerSec)} | ${f2(a.p50)} | ${f2(a.p95)} | ${f2(a.p99)} | ${f1(a.max)} | ${f0(a.serverCpuPct)} | ${f1(a.cpuUsPerMsg)} [${f1(a.cpuUsMin)}–${f1(a.cpuUsMax)}] | ${vsEcho(notEcho, a.cpuUsPerMsg, e?.cpuUsPerMsg)} | ${f0(a.instrPerMsg / 1000)} | ${vsEcho(notEcho, a.instrPerMsg, e?.instrPerMsg)} | ${f0(a.loadgenCpuPct)} | ${f0(a.peakRssMiB)} | ${f2(a.idleKiBPerConn)} | ${f0(a.setupPerSec)} | ${a.errors} | ${f1(a.otherCpuPctMax)} | ${a.reps} |`,
        );
      }
      const c = get(s.name, 'colloquy');
      if (c && e) {
        lines.push(
          `| ${s.connections} | *Colloquy ÷ echo* | *${ratio(c.msgPerSec, e.msgPerSec)}* | | *${ratio(c.p50, e.p50)}* | *${ratio(c.p95, e.p95)}* | *${ratio(c.p99, e.p99)}* | *${ratio(c.max, e.max)}* | *${ratio(c.serverCpuPct, e.serverCpuPct)}* | *${ratio(c.cpuUsPerMsg, e.cpuUsPerMsg)}* | | *${ratio(c.instrPerMsg, e.instrPerMsg)}* | | *${ratio(c.loadgenCpuPct, e.loadgenCpuPct)}* | *${ratio(c.peakRssMiB, e.peakRssMiB)}* | *${ratio(c.idleKiBPerConn, e.idleKiBPerConn)}* | *${ratio(c.setupPerSec, e.setupPerSec)}* | | | |`,
        );
      }
      const g = get(s.name, 'group-commit');
      if (c && g) {
        lines.push(
          `| ${s.connections} | *Colloquy ÷ bare group commit* | *${ratio(c.msgPerSec, g.msgPerSec)}* | | *${ratio(c.p50, g.p50)}* | *${ratio(c.p95, g.p95)}* | *${ratio(c.p99, g.p99)}* | *${ratio(c.max, g.max)}* | *${ratio(c.serverCpuPct, g.serverCpuPct)}* | *${ratio(c.cpuUsPerMsg, g.cpuUsPerMsg)}* | | *${ratio(c.instrPerMsg, g.instrPerMsg)}* | | | | | | | | |`,
        );
      }
    }
    lines.push('');
  }
  if (open.length) {
    lines.push(
      '### Open loop (fixed aggregate rate, round-robin; latency from the *scheduled* send time)',
      '',
      '| offered msg/s | conns | server | achieved msg/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | p99 ×echo | server CPU % | CPU µs/msg | ×echo | k instr/msg | ×echo | timeouts | errors | other CPU % (max) | reps |',
      '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of open) {
      const e = get(s.name, 'echo');
      for (const t of opts.targets) {
        const a = get(s.name, t);
        if (!a) continue;
        const notEcho = t !== 'echo';
        lines.push(
          `| ${f0(s.rate ?? NaN)} | ${s.connections} | ${serverName(t)} | ${f0(a.msgPerSec)} | ${f2(a.p50)} | ${f2(a.p95)} | ${f2(a.p99)} | ${f2(a.p999)} | ${f1(a.max)} | ${vsEcho(notEcho, a.p99, e?.p99)} | ${f0(a.serverCpuPct)} | ${f1(a.cpuUsPerMsg)} | ${vsEcho(notEcho, a.cpuUsPerMsg, e?.cpuUsPerMsg)} | ${f0(a.instrPerMsg / 1000)} | ${vsEcho(notEcho, a.instrPerMsg, e?.instrPerMsg)} | ${a.timeouts} | ${a.errors} | ${f1(a.otherCpuPctMax)} | ${a.reps} |`,
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
    ...aggs.map((a) => {
      const e = get(a.scenario, 'echo');
      const p50 = median(cellsOf(cells, a).map((c) => c.setup.latencyMs.p50));
      return `| ${a.scenario} | ${serverName(a.target)} | ${f0(a.setupPerSec)} | ${a.target !== 'echo' && e ? ratio(a.setupPerSec, e.setupPerSec) : '1.00×'} | ${f1(p50)} | ${f1(a.setupP99Ms)} | ${f0(a.setupServerCpuPct)} | ${f0(a.setupCpuUsPerSession)} | ${f2(a.idleKiBPerConn)} |`;
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
        const e = get(a.scenario, 'echo');
        return `| ${a.scenario} | ${f0(a.msgPerSec)} | ${f0(a.store!.commitsPerSec)} | ${f1(a.store!.meanBatch)} | ${f2(a.store!.meanCommitMs)} | ${f0(a.store!.commitWallPct)} | ${f2(a.io?.writeSyscalls ?? NaN)} | ${f2(a.io?.readSyscalls ?? NaN)} | ${f0(a.io?.storageWriteBytes ?? NaN)} | ${e?.io ? `${f2(e.io.writeSyscalls)} / ${f2(e.io.readSyscalls)}` : '–'} |`;
      }),
      '',
    );
  }
  if (targets.length) {
    lines.push('### Targets (issue; 2 cores, server and generator pinned apart, embedded default store)', '', '| target | goal | measured | verdict |', '|---|---|---|---|');
    for (const t of targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass ? 'met' : `**missed** (${t.miss})`} |`);
    lines.push('');
  }
  return lines.join('\n');
}
