/**
 * `npm run bench:against -- <git ref>`: this build against an earlier one, both running *at the same time*.
 *
 * On a shared VM the CPU time of one round trip moves by ±30 % from one minute to the next, so two builds
 * measured one after the other cannot be told apart below that. Here both servers run together, pinned to
 * core 0, each driven by its own load generator pinned to core 1 with the same open-loop rate (or both
 * closed loop): whatever slows the core slows both, and the ratio of their CPU per round trip stays steady
 * (an A/A run, `--against HEAD` on an unchanged tree, shows the spread: about ±1.5 % here).
 *
 *   npm run bench:against -- HEAD~3                      # 5 reps, open loop 2000 msg/s each over 500 connections
 *   npm run bench:against -- main --mode closed --reps 3
 *   npm run bench:against -- HEAD --flags=--no-allocation-site-pretenuring   # this build with a Node/V8 flag, against without
 *   npm run bench:against -- echo --mode closed --connections 1000   # this build against the raw `ws` echo (the goals' baseline)
 *   npm run bench:against -- group-commit                # this build against the bare group-commit baseline
 *   other flags: --connections 500 --rate 2000 --duration 12 --warmup 2
 *
 * With `echo` in place of a ref, the other side is the raw `ws` echo server of `npm run bench`: the ratio is then
 * the goals' "server CPU per round trip ÷ echo", measured at the same moment instead of one run after the other.
 * With `group-commit`, it is the echo plus SQLite group commit (bench/group-commit-server.ts), the durable floor.
 *
 * The earlier build is taken with `git archive` into .bench/against/<commit>/ and compiled there against this
 * checkout's node_modules (a changed package-lock.json is warned about). Results: .bench/against-latest.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './aggregate.js';
import { f0, f1, f2 } from './format.js';
import { log } from './log.js';
import { clkTck, detectPinning } from './machine.js';
import { isBaseline, type RunResult, type Target } from './loadgen/protocol.js';
import { OUT_DIR, ROOT, SNAPSHOT } from './paths.js';
import { startLoadgen, startServer, stopServer, type Loadgen, type Server } from './processes.js';
import { snapshotDist } from './snapshot.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'open' },
    connections: { type: 'string', default: '500' },
    rate: { type: 'string', default: '2000' },
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    flags: { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help || positionals.length !== 1) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(flags.help ? 0 : 2);
}
const mode = flags.mode === 'closed' ? 'closed' : 'open';
const connections = Number(flags.connections);
const rate = Number(flags.rate);
const reps = Number(flags.reps);
const durationMs = Number(flags.duration) * 1000;
const warmupMs = Number(flags.warmup) * 1000;
/** Node/V8 flags for this build's server only. */
const thisFlags = (flags.flags ?? '').split(' ').filter(Boolean);

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The earlier build: its sources at `commit`, compiled once into .bench/against/<commit>/. */
function buildOf(ref: string): { dir: string; commit: string } {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(OUT_DIR, 'against', commit);
  if (!existsSync(join(dir, 'dist', 'server', 'cli.js'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${dir}"`], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    log(`compiling ${commit.slice(0, 7)} in ${dir.slice(ROOT.length + 1)}`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
  }
  if (git('diff', '--name-only', commit, '--', 'package-lock.json') !== '') {
    log(`WARNING: package-lock.json differs from ${commit.slice(0, 7)}: both builds run on this checkout's node_modules`);
  }
  return { dir, commit };
}

interface Side {
  readonly name: 'earlier' | 'this';
  readonly target: Target;
  readonly build?: string;
  readonly nodeFlags?: readonly string[];
}

interface Pair {
  readonly rep: number;
  readonly earlier: RunResult;
  readonly current: RunResult;
}

async function measurePair(rep: number, sides: readonly [Side, Side], pinned: boolean, ck: number): Promise<Pair> {
  // The start order alternates between reps, so neither build always gets the first (warmer) setup.
  const order = rep % 2 === 1 ? sides : ([sides[1], sides[0]] as const);
  const servers: Server[] = [];
  const loadgens: Loadgen[] = [];
  try {
    for (const side of order) servers.push(await startServer(side.target, { pinned, sync: undefined }, [...(side.nodeFlags ?? [])], side.build ? { build: side.build } : {}));
    for (let i = 0; i < 2; i++) loadgens.push(await startLoadgen(pinned));
    for (let i = 0; i < 2; i++) {
      const s = servers[i]!;
      const setup = await loadgens[i]!.setup({ target: order[i]!.target, url: s.url, concurrency: 64, welcomeTimeoutMs: 5000, connections, tag: `a${s.pid}-${rep}`, serverPid: s.pid, clkTck: ck });
      if (setup.failed > 0) throw new Error(`${order[i]!.name}: ${setup.failed} sessions failed: ${JSON.stringify(setup.errorSamples)}`);
    }
    const results = await Promise.all(
      servers.map((s, i) =>
        loadgens[i]!.run({ mode, durationMs, warmupMs, ...(mode === 'open' ? { rate } : {}), drainMs: 5000, timeoutMs: 10_000, serverPid: s.pid, clkTck: ck }),
      ),
    );
    const of = (name: Side['name']) => results[order.findIndex((s) => s.name === name)]!;
    return { rep, earlier: of('earlier'), current: of('this') };
  } finally {
    await Promise.all(loadgens.map((l) => l.close()));
    await Promise.all(servers.map((s) => stopServer(s)));
  }
}

const BASELINE_TITLE: Partial<Record<Target, string>> = { echo: 'the raw `ws` echo', 'group-commit': 'the bare group-commit baseline (ws + SQLite)' };

function render(ref: string, commit: string | null, sha1: string, pairs: readonly Pair[], why: string): string {
  const ratio = (p: Pair) => p.current.serverCpuUsPerMsg / p.earlier.serverCpuUsPerMsg;
  const ratios = pairs.map(ratio);
  const row = (p: Pair) =>
    `| ${p.rep} | ${f0(p.earlier.msgPerSec)} | ${f1(p.earlier.serverCpuUsPerMsg)} | ${f2(p.earlier.latencyMs.p50)} / ${f2(p.earlier.latencyMs.p99)} | ` +
    `${f0(p.current.msgPerSec)} | ${f1(p.current.serverCpuUsPerMsg)} | ${f2(p.current.latencyMs.p50)} / ${f2(p.current.latencyMs.p99)} | **${ratio(p).toFixed(3)}** |`;
  const o = commit ? 'earlier' : ref;
  const load = mode === 'open' ? `open loop, ${rate} msg/s each over ${connections} connections` : `closed loop, ${connections} connections each`;
  return [
    `## This build against ${commit ? `${ref} (${commit.slice(0, 7)})` : BASELINE_TITLE[ref as Target]}, side by side — ${new Date().toISOString()}`,
    '',
    `Both servers at once on core 0, each with its own load generator on core 1 (${why}); ${load}; ${durationMs / 1000} s runs, first ${warmupMs / 1000} s excluded. This build: dist/ sha1 ${sha1}${thisFlags.length ? `, run with \`${thisFlags.join(' ')}\`` : ''}.`,
    '',
    `| rep | ${o} msg/s | ${o} CPU µs/msg | ${o} p50 / p99 ms | this msg/s | this CPU µs/msg | this p50 / p99 ms | CPU this ÷ ${o} |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...pairs.map(row),
    '',
    `CPU per round trip, this ÷ ${o}: median **${median(ratios).toFixed(3)}** [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}] over ${pairs.length} reps.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const ref = positionals[0]!;
  const pinning = detectPinning(false);
  if (!pinning.pinned) log(`WARNING: ${pinning.why}`);
  const baseline = isBaseline(ref as Target) ? (ref as Target) : null;
  const earlier = baseline ? null : buildOf(ref);
  const current = snapshotDist();
  process.on('exit', () => rmSync(SNAPSHOT, { recursive: true, force: true }));
  const ck = clkTck();
  const pairs: Pair[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    const other: Side = earlier ? { name: 'earlier', target: 'colloquy', build: earlier.dir } : { name: 'earlier', target: baseline! };
    const p = await measurePair(rep, [other, { name: 'this', target: 'colloquy', nodeFlags: thisFlags }], pinning.pinned, ck);
    pairs.push(p);
    log(`rep ${rep}: ${earlier ? 'earlier' : ref} ${f1(p.earlier.serverCpuUsPerMsg)} µs/msg, this ${f1(p.current.serverCpuUsPerMsg)} µs/msg, ratio ${(p.current.serverCpuUsPerMsg / p.earlier.serverCpuUsPerMsg).toFixed(3)}`);
  }
  const md = render(ref, earlier?.commit ?? null, current.sha1, pairs, pinning.why);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'against-latest.md'), md);
  writeFileSync(join(OUT_DIR, 'against-latest.json'), JSON.stringify({ ref, commit: earlier?.commit ?? null, sha1: current.sha1, mode, connections, rate, pairs }, null, 2));
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
