/** The repetitions of each (scenario, server) pair reduced to one row: medians, with min–max where reported. */
import type { Target } from './loadgen/protocol.js';
import type { Cell } from './measure.js';

export const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Agg {
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
  /** Server instructions per round trip (perf stat; NaN without perf). */
  readonly instrPerMsg: number;
  /** Outside services (PostgreSQL, Redis) when the target has them; NaN otherwise. */
  readonly serviceCpuPct: number;
  readonly serviceCpuUsPerMsg: number;
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

/** The cells of one aggregate row. */
export const cellsOf = (cells: Cell[], a: Pick<Agg, 'scenario' | 'target'>): Cell[] =>
  cells.filter((c) => c.scenario === a.scenario && c.target === a.target);

/** One row per (scenario, server), in the order the cells were measured. */
export function aggregateAll(cells: Cell[]): Agg[] {
  const groups = new Map<string, Cell[]>();
  for (const c of cells) {
    const k = `${c.scenario}|${c.target}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].map(aggregate);
}

export function aggregate(cells: Cell[]): Agg {
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
    instrPerMsg: m((c) => c.instructionsPerMsg ?? NaN),
    serviceCpuPct: m((c) => c.run.serviceCpuPct ?? NaN),
    serviceCpuUsPerMsg: m((c) => c.run.serviceCpuUsPerMsg ?? NaN),
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
