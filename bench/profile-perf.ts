/**
 * `--perf`: an on-CPU profile of Colloquy (`perf record -e cpu-clock -F 999`, kernel included, JIT
 * symbols from `--perf-basic-prof`) of the main setup batch and of the measured window of a closed-loop
 * run at 1000 connections. perf itself runs on the generator's core. `--perf-callgraph` adds `-g` (on
 * this VM that halved the server's throughput, so its inclusive shares are indicative only).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { codeCell, f0, f1, groupCommitSentence } from './format.js';
import { log } from './log.js';
import { measure, type Cell, type Rig, type Scenario } from './measure.js';
import { PROFILE_DIR, shortUrl } from './paths.js';
import { onCore } from './processes.js';

export interface PerfSelf {
  /** Symbols grouped into what they do (regex heuristics), % of all samples. */
  readonly byCategory: { category: string; pct: number }[];
  /** On-CPU samples of the server process by binary, % of all samples. */
  readonly byDso: { dso: string; pct: number }[];
  readonly topSymbols: { symbol: string; dso: string; pct: number }[];
}

export interface PerfSummary extends PerfSelf {
  readonly file: string;
  /** Inclusive (self + callees) % of on-CPU samples, from call graphs (only with --perf-callgraph). */
  readonly inclusive: { what: string; pct: number }[];
  /** The same self-time view for the main session-setup batch. */
  readonly setup: PerfSelf | null;
}

export interface PerfProfile {
  readonly cell: Cell;
  readonly summary: PerfSummary;
}

/** Symbols whose inclusive time is worth a row of its own (with call graphs). */
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

/** What a symbol does, by binary and name; the first match wins, so the order matters. */
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

export function perfAvailable(): boolean {
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

/** The rows of `perf report --stdio`: percentage and the remaining columns. */
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

/** `perf record` of a process until the returned function is called; perf runs next to the load generator (core 1). */
function perfRecord(rig: Rig, pid: number, file: string): () => Promise<void> {
  // Call graphs (-g) are opt-in: on this VM they halved the server's throughput and CPU share.
  const argv = ['record', '-e', 'cpu-clock', '-F', '999', ...(rig.opts.perfCallgraph ? ['-g'] : []), '-p', String(pid), '-o', file];
  const p = spawn(...onCore(rig.pinned, 1, 'perf', argv), { stdio: 'ignore' });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return async () => {
    p.kill('SIGINT');
    await Promise.race([exited, sleep(15_000)]);
  };
}

/** On-CPU profile (perf, cpu-clock at 999 Hz) of Colloquy: the main setup batch, and the measured window of a closed-loop run. */
export async function perfRun(rig: Rig): Promise<PerfProfile> {
  const { opts } = rig;
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = join(PROFILE_DIR, `perf-${Date.now()}.data`);
  const setupFile = file.replace(/\.data$/, '-setup.data');
  const sc: Scenario = { name: 'closed-1000 (perf)', mode: 'closed', connections: 1000 };
  log('perf: Colloquy with --perf-basic-prof under `perf record`, closed loop, 1000 connections');
  const cell = await measure(rig, 'colloquy', sc, 0, {
    nodeFlags: ['--perf-basic-prof'],
    duringRun: async (server) => {
      await sleep(opts.warmupMs + 10);
      const stop = perfRecord(rig, server.pid, file);
      await sleep(opts.durationMs - opts.warmupMs);
      await stop();
    },
    duringSetup: (server) => perfRecord(rig, server.pid, setupFile),
  });
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

const categoryTable = (cats: PerfSelf['byCategory']) => ['| what (symbol heuristics) | % of on-CPU samples |', '|---|---:|', ...cats.map((x) => `| ${x.category} | ${x.pct} |`)];
const symbolTable = (syms: PerfSelf['topSymbols']) => ['| symbol | binary | % |', '|---|---|---:|', ...syms.map((x) => `| ${codeCell(x.symbol)} | ${x.dso} | ${x.pct} |`)];

export function formatPerf({ summary: p, cell: c }: PerfProfile, callgraph: boolean): string {
  const r = c.run;
  return [
    `### On-CPU profile of Colloquy (\`perf record -e cpu-clock -F 999${callgraph ? ' -g' : ''}\`, measured window, closed loop, 1000 connections)`,
    '',
    `Profiled run: ${f0(r.msgPerSec)} msg/s, server CPU ${f0(r.serverCpuPct)} % = ${f1(r.serverCpuUsPerMsg)} µs/msg. Only time on a CPU is sampled (blocking in fsync is not), kernel included. File: \`${shortUrl(p.file)}\``,
    '',
    groupCommitSentence(c.run),
    '',
    ...categoryTable(p.byCategory),
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
          ...p.inclusive.map((x) => `| ${x.what.startsWith('JS ') ? codeCell(x.what.slice(3)) : x.what} | ${x.pct} |`),
          '',
        ]
      : []),
    '**Top symbols by self time**',
    '',
    ...symbolTable(p.topSymbols.slice(0, 30)),
    '',
    ...(p.setup
      ? [
          `**Session setup phase, same server** (${f0(c.setup.sessionsPerSec)} sessions/s, server CPU ${f0(c.setup.serverCpuPct)} % = ${f0(c.setup.serverCpuUsPerSession)} µs per session)`,
          '',
          ...categoryTable(p.setup.byCategory),
          '',
          ...symbolTable(p.setup.topSymbols.slice(0, 20)),
          '',
        ]
      : []),
  ].join('\n');
}
