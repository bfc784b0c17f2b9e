/**
 * The disk alone, in the same run: a WAL-like file written and `fdatasync`ed at the rate the open loop's group
 * commits reach, in the directory the servers keep their data in. Persist-before-ack means no message can be
 * acknowledged while the disk holds a sync, so the time the disk spends in syncs longer than the latency goal is
 * a floor under the open loop's tail that no server code can lower: when more than 1 % of the time is spent
 * beyond 10 ms, a p99 of 10 ms is out of reach on this machine, whatever the server does.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export interface DiskProbe {
  /** Syncs per second asked for, bytes written before each, and the seconds the probe ran. */
  readonly rate: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly syncs: number;
  /** Latency of one write + fdatasync, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Syncs that took longer than `goalMs`, and the share of wall time spent beyond it (%), summed over them. */
  readonly goalMs: number;
  readonly slowSyncs: number;
  readonly beyondGoalPct: number;
}

const WAL_BYTES = 4 << 20;

/** Blocks this process for `seconds` (nothing else of the benchmark runs meanwhile). */
export function probeDisk(opts: { seconds: number; rate: number; bytes: number; goalMs: number }): DiskProbe {
  const dir = mkdtempSync(join(os.tmpdir(), 'colloquy-bench-disk-'));
  const fd = openSync(join(dir, 'wal'), 'w');
  const chunk = Buffer.alloc(opts.bytes, 0x5a);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const ms: number[] = [];
  try {
    const start = performance.now();
    const end = start + opts.seconds * 1000;
    let offset = 0;
    for (let i = 0; ; i++) {
      // Paced like commits: the i-th sync is due at start + i/rate; behind schedule after a slow one, the probe
      // catches up at once, as a server works off its backlog.
      const due = start + (i * 1000) / opts.rate;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) Atomics.wait(pause, 0, 0, wait);
      const t0 = performance.now();
      writeSync(fd, chunk, 0, chunk.length, offset);
      fdatasyncSync(fd);
      ms.push(performance.now() - t0);
      offset = (offset + chunk.length) % WAL_BYTES;
    }
    const wall = performance.now() - start;
    const sorted = [...ms].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    const slow = ms.filter((x) => x > opts.goalMs);
    return {
      rate: opts.rate,
      bytes: opts.bytes,
      seconds: opts.seconds,
      syncs: ms.length,
      p50: q(0.5),
      p99: q(0.99),
      p999: q(0.999),
      max: sorted[sorted.length - 1] ?? NaN,
      goalMs: opts.goalMs,
      slowSyncs: slow.length,
      beyondGoalPct: (slow.reduce((n, x) => n + (x - opts.goalMs), 0) / wall) * 100,
    };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatDisk(d: DiskProbe): string {
  const f = (x: number) => x.toFixed(2);
  return [
    `### The disk alone (${d.syncs} × write ${d.bytes / 1024} KiB + fdatasync at ${d.rate}/s for ${d.seconds} s, in the servers' temp dir)`,
    '',
    `Sync latency p50 ${f(d.p50)} / p99 ${f(d.p99)} / p99.9 ${f(d.p999)} / max ${f(d.max)} ms; ${d.slowSyncs} syncs over ${d.goalMs} ms, ` +
      `**${d.beyondGoalPct.toFixed(2)} % of the time beyond ${d.goalMs} ms**. A message that arrives while the disk holds a sync cannot be ` +
      `acknowledged before it ends, so above 1 % the open loop's p99 ≤ ${d.goalMs} ms is out of reach on this machine for any server that persists before it acks.`,
    '',
  ].join('\n');
}
