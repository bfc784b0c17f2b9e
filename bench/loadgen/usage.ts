/**
 * Resource use over an interval, from samples taken at its two edges: the server's CPU and I/O, the
 * generator's own CPU, and the CPU of everyone else on the box.
 */
import { busyTicks, procIo, procTicks, ticksByName } from '../procfs.js';
import type { IoPerMsg } from './protocol.js';

/** CLOCK_MONOTONIC in µs: the clock of V8's --cpu-prof timestamps, so that a profile can be cut to a window. */
export const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface UsageSample {
  /** performance.now() ms. */
  readonly wall: number;
  /** Ticks (CLK_TCK) of the server, of this process, and of all CPUs together. */
  readonly server: number;
  readonly self: number;
  readonly busy: number;
  readonly io: Map<string, number>;
  /** Ticks of the outside services' processes, by pid. */
  readonly services: Map<number, number>;
}

/** The server is one process or several (nodes: summed); `services` are process names sampled apart. */
export function sampleUsage(server: number | readonly number[], services: readonly string[] = []): UsageSample {
  const pids = typeof server === 'number' ? [server] : server;
  return {
    wall: performance.now(),
    server: pids.reduce((n, pid) => n + procTicks(pid), 0),
    self: procTicks('self'),
    busy: busyTicks(),
    io: procIo(pids[0]!),
    services: ticksByName(services),
  };
}

export interface Usage {
  readonly windowSec: number;
  readonly serverSec: number;
  readonly selfSec: number;
  /** CPU seconds of the outside services (a process that started in between counts from 0). */
  readonly serviceSec: number;
  /** CPU seconds of every other process (all CPUs' busy time minus the server's, the services' and ours). */
  readonly otherSec: number;
}

export function usageBetween(b: UsageSample, a: UsageSample, clkTck: number): Usage {
  const tick = 1 / clkTck;
  const serverSec = (a.server - b.server) * tick;
  const selfSec = (a.self - b.self) * tick;
  const busySec = (a.busy - b.busy) * tick;
  let service = 0;
  for (const [pid, t] of a.services) service += t - (b.services.get(pid) ?? 0);
  const serviceSec = service * tick;
  return { windowSec: (a.wall - b.wall) / 1000, serverSec, selfSec, serviceSec, otherSec: busySec - serverSec - selfSec - serviceSec };
}

/** The server's I/O between the samples, per completed round trip; null when /proc/<pid>/io was unreadable. */
export function ioPerMsg(b: UsageSample, a: UsageSample, completions: number): IoPerMsg | null {
  if (!a.io.size || !b.io.size || completions <= 0) return null;
  const d = (k: string) => ((a.io.get(k) ?? 0) - (b.io.get(k) ?? 0)) / completions;
  return { readSyscalls: d('syscr'), writeSyscalls: d('syscw'), wcharBytes: d('wchar'), storageWriteBytes: d('write_bytes') };
}
