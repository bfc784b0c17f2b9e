/**
 * `npm run bench`: Colloquy against two baselines measured in the same run, with the method of
 * /work/shared/reference/performance.md (see docs/performance.md): the raw `ws` echo (the goals' denominator)
 * and the bare group commit (the echo plus SQLite group commit, the reference's `sqlite-batch-full`: the floor
 * of any server that persists before it acks).
 *
 * For every scenario (closed loop at each --connections, open loop at each --rates over
 * --open-connections) and repetition: the echo, the bare group commit, then Colloquy, each freshly started and pinned to
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
 *   npm run bench -- --alloc            # also: heap allocated per round trip, echo and Colloquy (--alloc-only: only that)
 *   other flags: --connections 100,1000 --rates 5000 --open-connections 1000 --duration 8 --warmup 2
 *                --reps 3 --setup-concurrency 64 --sync full|normal --unpinned --targets echo,group-commit,colloquy
 *                --alloc-rate 2000 --server-flags "<node flags for Colloquy only>"
 *
 * Each open-loop run of Colloquy is preceded by a probe of the disk alone (bench/disk.ts: write + fdatasync at
 * the commit rate): the floor under that run's tail that persist-before-ack puts there.
 */
// The parts: options.ts (flags), machine.ts (pinning, limits, versions), snapshot.ts (the dist/ copy),
// processes.ts (server and load generator), measure.ts (one cell), aggregate.ts, targets.ts, report.ts
// (markdown), profile-v8.ts (--profile), profile-perf.ts (--perf), engine.ts (the dialog engine alone, in this
// process); the generator: loadgen.ts, loadgen/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregateAll } from './aggregate.js';
import { probeDisk, type DiskProbe } from './disk.js';
import { measureEngine } from './engine.js';
import { measureKnowledge } from './kb.js';
import { f0, f1, f2 } from './format.js';
import { isBaseline } from './loadgen/protocol.js';
import { log } from './log.js';
import { assertFdLimit, clkTck, describeMachine, detectPinning, fdLimit } from './machine.js';
import { measureQuietest, type Cell, type Rig, type Scenario } from './measure.js';
import { readFlags, toOptions } from './options.js';
import { OUT_DIR, PROFILE_DIR, ROOT, SNAPSHOT } from './paths.js';
import { allocRun } from './profile-alloc.js';
import { perfAvailable, perfRun, type PerfProfile } from './profile-perf.js';
import { profileRun, type V8Profile } from './profile-v8.js';
import { renderMarkdown, type BenchRecord } from './report.js';
import { snapshotDist } from './snapshot.js';
import { checkTargets } from './targets.js';

const flags = readFlags(process.argv.slice(2));
if (flags.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const opts = toOptions(flags);
const pinning = detectPinning(flags.unpinned);
if (!pinning.pinned) log(`WARNING: ${pinning.why}`);
const CLK_TCK = clkTck();
const FD_LIMIT = fdLimit();
assertFdLimit(opts, FD_LIMIT);
const machine = describeMachine(pinning, CLK_TCK, FD_LIMIT);
const rig: Rig = { opts, pinned: pinning.pinned, clkTck: CLK_TCK };

function logCell(cell: Cell): void {
  const r = cell.run;
  log(
    `rep ${cell.rep} ${cell.scenario} ${cell.target}: ${f0(r.msgPerSec)} msg/s, p50 ${f2(r.latencyMs.p50)} p99 ${f2(r.latencyMs.p99)} max ${f1(r.latencyMs.max)} ms, ` +
      `server ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg${cell.instructionsPerMsg ? ` = ${f0(cell.instructionsPerMsg / 1000)}k instructions/msg` : ''}, loadgen ${f0(r.loadgenCpuPct)} %, other ${f1(r.otherCpuPct)} %, ` +
      `setup ${cell.setup.connected}/${cell.setup.requested} at ${f0(cell.setup.sessionsPerSec)}/s, idle ${f2(cell.idle.kibPerConn)} KiB/conn, errors ${cell.errors}` +
      (cell.errors || r.errorSamples.length || cell.setup.errorSamples.length ? ` ${JSON.stringify([...cell.setup.errorSamples, ...r.errorSamples])}` : ''),
  );
  const tl = r.timeline;
  if (tl && r.latencyMs.p99 > 10) log(`  worst ${tl.slotMs}-ms slots (from the first send): ${worstSlots(tl)}`);
  if (cell.serverLogTail.length) log(`  server said: ${cell.serverLogTail.slice(-3).join(' | ').slice(0, 600)}`);
}

function probeDiskLogged(scenario: string, rep: number): DiskProbe {
  const d = probeDisk({ scenario, rep, seconds: opts.durationMs / 1000, rate: 400, bytes: 32 * 1024, goalMs: 10 });
  log(`the disk alone: ${d.syncs} write+fdatasync at ${d.rate}/s: p50 ${f2(d.p50)} p99 ${f2(d.p99)} max ${f1(d.max)} ms, ${f2(d.beyondGoalPct)} % of the time beyond ${d.goalMs} ms`);
  return d;
}

/** Where an open loop's tail came from: the five slots with the worst latency, and how the warm-up ended. */
function worstSlots(tl: NonNullable<Cell['run']['timeline']>): string {
  const top = tl.worstMs.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, 5);
  const at = (ms: number) => `${f1(ms / 1000)} s`;
  return `${top.map((s) => `${at(s.i * tl.slotMs)}: ${f0(s.ms)} ms`).join(', ')} (the measured window starts at ${at(tl.warmupMs)})`;
}

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

  // Echo and Colloquy alternate, scenario by scenario, each measurement with freshly started processes.
  const cells: Cell[] = [];
  const disks: DiskProbe[] = [];
  if (!opts.profileOnly) {
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const sc of scenarios) {
        for (const target of opts.targets) {
          // The disk alone, at the open loop's commit rate: the floor under its tail (bench/disk.ts).
          if (sc.mode === 'open' && !isBaseline(target)) disks.push(probeDiskLogged(sc.name, rep));
          const cell = await measureQuietest(rig, target, sc, rep);
          cells.push(cell);
          logCell(cell);
        }
      }
    }
  }
  const aggs = aggregateAll(cells);
  // The dialog engine alone, in this process (no sockets, no storage): the demo bot's turn latency.
  const engine = opts.profileOnly ? undefined : await measureEngine();
  if (engine) log(`dialog engine alone: ${engine.turns} turns, mean ${engine.meanUs.toFixed(1)} µs, p50 ${engine.p50Us.toFixed(1)} µs, p99 ${engine.p99Us.toFixed(1)} µs per turn`);
  // Knowledge answers (time to the first streamed chunk, answer time) against nodes in this process.
  const knowledge = opts.profileOnly ? undefined : await measureKnowledge(opts.durationMs < 8000 ? 60 : 200);
  if (knowledge) log(`knowledge answers: ${knowledge.rows.map((r) => `${r.what} p50 ${r.answerP50.toFixed(1)} ms`).join('; ')}`);

  let profile: V8Profile | undefined;
  if (opts.profile) profile = await profileRun(rig);
  let perf: PerfProfile | undefined;
  if (opts.perf) {
    if (perfAvailable()) perf = await perfRun(rig);
    else log('--perf: perf is not installed; skipped');
  }
  const alloc = opts.alloc ? await allocRun(rig, opts.allocRate) : undefined;

  const record: BenchRecord = {
    started: started.toISOString(),
    machine,
    build: { sha1: build.sha1, files: build.files },
    options: opts,
    scenarios,
    aggregates: aggs,
    targets: checkTargets(aggs, scenarios, disks),
    disks,
    cells,
    profile,
    perf,
    alloc,
    engine,
    knowledge,
  };
  const md = renderMarkdown(record);
  const stamp = record.started.replace(/[:.]/g, '-');
  writeFileSync(join(OUT_DIR, `${stamp}.json`), JSON.stringify(record, null, 2));
  writeFileSync(join(OUT_DIR, 'latest.json'), JSON.stringify(record, null, 2));
  writeFileSync(join(OUT_DIR, 'latest.md'), md);
  if (profile) writeFileSync(join(PROFILE_DIR, 'latest-summary.json'), JSON.stringify(profile.summary, null, 2));
  console.log(md);
  log(`results: .bench/${stamp}.json, .bench/latest.json, .bench/latest.md`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
