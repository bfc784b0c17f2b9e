/** The command line of `npm run bench` (documented in the header of bench/run.ts and in docs/performance.md). */
import { parseArgs } from 'node:util';
import type { Target } from './loadgen/protocol.js';

const FLAGS = {
  quick: { type: 'boolean', default: false },
  connections: { type: 'string' },
  rates: { type: 'string' },
  'open-connections': { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  reps: { type: 'string' },
  'setup-concurrency': { type: 'string' },
  sync: { type: 'string' },
  'server-flags': { type: 'string' },
  unpinned: { type: 'boolean', default: false },
  targets: { type: 'string' },
  profile: { type: 'boolean', default: false },
  'profile-only': { type: 'boolean', default: false },
  'profile-interval': { type: 'string' },
  alloc: { type: 'boolean', default: false },
  'alloc-only': { type: 'boolean', default: false },
  'alloc-rate': { type: 'string' },
  perf: { type: 'boolean', default: false },
  'perf-callgraph': { type: 'boolean', default: false },
  'quiet-pct': { type: 'string' },
  'quiet-wait': { type: 'string' },
  'noisy-pct': { type: 'string' },
  retries: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The flags as given (unknown flags throw). */
export function readFlags(args: string[]) {
  return parseArgs({ args, options: FLAGS }).values;
}
export type Flags = ReturnType<typeof readFlags>;

/** What a run measures and how; recorded as `options` in the JSON results. */
export interface BenchOptions {
  readonly connections: number[];
  readonly rates: number[];
  readonly openConnections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly reps: number;
  readonly setupConcurrency: number;
  readonly sync: 'full' | 'normal' | undefined;
  /** `--server-flags "…"`: Node/V8 flags for Colloquy's servers only (the echo runs without them). */
  readonly serverFlags: string[];
  readonly targets: Target[];
  readonly profile: boolean;
  /** Only the profiling runs (`--profile-only`, `--alloc-only`): no measured cells, no engine or knowledge runs. */
  readonly profileOnly: boolean;
  /** `--alloc`: the heap allocated per round trip (bench/profile-alloc.ts), at `allocRate` msg/s, open loop. */
  readonly alloc: boolean;
  readonly allocRate: number;
  readonly perf: boolean;
  readonly perfCallgraph: boolean;
  readonly profileIntervalUs: number;
  /** Before each measurement, wait (up to quietWaitSec) until other processes use < quietPct % of a core. */
  readonly quietPct: number;
  readonly quietWaitSec: number;
  /** A cell whose window saw other processes use more than this (% of a core) is re-run, up to `retries` times. */
  readonly noisyPct: number;
  readonly retries: number;
}

const list = (s: string | undefined, d: number[]) => (s ? s.split(',').map((x) => Number(x.trim())).filter((n) => n > 0) : d);

/** Defaults (shorter with --quick) filled in, and checked. */
export function toOptions(flags: Flags): BenchOptions {
  const quick = flags.quick;
  const opts: BenchOptions = {
    connections: list(flags.connections, [100, 1000]),
    rates: list(flags.rates, [5000]),
    openConnections: Number(flags['open-connections'] ?? 1000),
    durationMs: Number(flags.duration ?? (quick ? 3 : 8)) * 1000,
    warmupMs: Number(flags.warmup ?? (quick ? 1 : 2)) * 1000,
    reps: Number(flags.reps ?? (quick ? 1 : 3)),
    setupConcurrency: Number(flags['setup-concurrency'] ?? 64),
    sync: flags.sync as 'full' | 'normal' | undefined,
    serverFlags: (flags['server-flags'] ?? '').split(' ').filter(Boolean),
    targets: (flags.targets ?? 'echo,group-commit,colloquy').split(',').map((t) => t.trim()) as Target[],
    profile: flags.profile || flags['profile-only'],
    profileOnly: flags['profile-only'] || flags['alloc-only'],
    alloc: flags.alloc || flags['alloc-only'],
    allocRate: Number(flags['alloc-rate'] ?? 2000),
    perf: flags.perf || flags['perf-callgraph'],
    perfCallgraph: flags['perf-callgraph'],
    profileIntervalUs: Number(flags['profile-interval'] ?? 500),
    quietPct: Number(flags['quiet-pct'] ?? 15),
    quietWaitSec: Number(flags['quiet-wait'] ?? 60),
    noisyPct: Number(flags['noisy-pct'] ?? 30),
    retries: Number(flags.retries ?? 3),
  };
  if (opts.sync && opts.sync !== 'full' && opts.sync !== 'normal') throw new Error('--sync must be full or normal');
  if (opts.warmupMs >= opts.durationMs) throw new Error('--warmup must be shorter than --duration');
  return opts;
}
