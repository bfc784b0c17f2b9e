/**
 * Readers of Linux's /proc, shared by the runner (bench/run.ts) and the load generator. Ticks are in
 * units of CLK_TCK (`getconf CLK_TCK`, see machine.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** utime+stime of a process (all threads), in ticks. */
export function procTicks(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime+stime of every process with one of these names (`/proc/<pid>/comm`), by pid. */
export function ticksByName(names: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  if (names.length === 0) return out;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) continue;
      out.set(Number(entry), procTicks(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Busy ticks of all CPUs (user+nice+system+irq+softirq+steal; idle and iowait excluded). */
export function busyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
}

/** VmRSS and VmHWM of a process, in MiB. */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** /proc/<pid>/io: rchar, wchar (sockets included), syscr, syscw, read_bytes, write_bytes (storage). */
export function procIo(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  try {
    for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
      const [k, v] = line.split(':');
      if (k && v) m.set(k.trim(), Number(v));
    }
  } catch {
    // not readable: leave empty
  }
  return m;
}
