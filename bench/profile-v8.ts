/**
 * `--profile`: one more closed-loop run of Colloquy at 1000 connections under `node --cpu-prof`, with the
 * samples cut to the measured window and, separately, to the main setup batch. Both clocks are
 * CLOCK_MONOTONIC. V8 samples the main thread even while it is blocked in a system call, so fsync waits
 * count as `sqliteTransaction` time.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { f0, f1, groupCommitSentence } from './format.js';
import { log } from './log.js';
import { measure, type Cell, type Rig, type Scenario } from './measure.js';
import { PROFILE_DIR, shortUrl } from './paths.js';

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

export interface ProfileSummary {
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

export interface V8Profile {
  readonly cell: Cell;
  /** The measured window of the run. */
  readonly summary: ProfileSummary;
  /** The main setup batch. */
  readonly setupSummary: ProfileSummary;
}

/** Which part of the system a frame belongs to: a Colloquy module, an npm package, Node's internals, V8. */
export function areaOf(frame: Pick<ProfileNode['callFrame'], 'functionName' | 'url'>): string {
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

/** Self time by function and by area, and inclusive time of Colloquy's functions, within `window` (µs) if it fits the profile. */
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

export async function profileRun(rig: Rig): Promise<V8Profile> {
  const dir = PROFILE_DIR;
  mkdirSync(dir, { recursive: true });
  const existing = new Set(readdirSync(dir));
  const sc: Scenario = { name: 'closed-1000 (profiled)', mode: 'closed', connections: 1000 };
  log(`profile: Colloquy under --cpu-prof (interval ${rig.opts.profileIntervalUs} µs), closed loop, 1000 connections`);
  const cell = await measure(rig, 'colloquy', sc, 0, { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${rig.opts.profileIntervalUs}`] });
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !existing.has(f));
  if (files.length === 0) throw new Error(`no .cpuprofile written to ${dir} (server exit code ${cell.serverExitCode})`);
  const file = join(dir, files[0]!);
  return { cell, summary: summariseProfile(file, cell.run.windowMonoUs), setupSummary: summariseProfile(file, cell.setup.windowMonoUs) };
}

/** The markdown of both summaries. */
export function formatV8Profile(p: V8Profile): string {
  return formatRunProfile(p.summary, p.cell) + formatSetupProfile(p.setupSummary, p.cell);
}

function formatRunProfile(s: ProfileSummary, c: Cell): string {
  const r = c.run;
  const lines = [
    `### CPU profile of Colloquy (closed loop, 1000 connections; ${s.windowOnly ? 'measured window only' : 'whole process lifetime'})`,
    '',
    `Profiled run: ${f0(r.msgPerSec)} msg/s, server CPU ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg (profiler overhead included). ` +
      `${s.samples.toLocaleString('en-US')} samples at ≈${s.intervalUs} µs, ${s.idlePct} % idle; percentages are of the non-idle samples. ` +
      `V8 samples the main thread whether it is on a CPU or blocked in a system call, so time blocked in fsync shows up as self time of \`sqliteTransaction\`/\`apply\`. ` +
      `File: \`${shortUrl(s.file)}\``,
    '',
    groupCommitSentence(c.run),
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
