/**
 * The disk alone, just before each open-loop run of Colloquy: a WAL-like file written and `fdatasync`ed at the
 * rate the open loop's group commits reach, in the directory the servers keep their data in. Persist-before-ack
 * means no message can be acknowledged while the disk holds a sync, so the time the disk spends in syncs longer
 * than the latency goal is a floor under the open loop's tail that no server code can lower: a disk that spends
 * more than 1 % of the time beyond 10 ms puts a p99 of 10 ms out of reach, whatever the server does. The disks
 * of shared machines stall now and then, not all the time, so there is one probe per run, next to it.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { summarise } from './loadgen/samples.js';

export interface DiskProbe {
  /** The open-loop cell it ran just before. */
  readonly scenario: string;
  readonly rep: number;
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
export function probeDisk(opts: { scenario: string; rep: number; seconds: number; rate: number; bytes: number; goalMs: number }): DiskProbe {
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
    const { count, p50, p99, p999, max } = summarise(ms);
    const slow = ms.filter((x) => x > opts.goalMs);
    return {
      scenario: opts.scenario,
      rep: opts.rep,
      rate: opts.rate,
      bytes: opts.bytes,
      seconds: opts.seconds,
      syncs: count,
      p50,
      p99,
      p999,
      max,
      goalMs: opts.goalMs,
      slowSyncs: slow.length,
      beyondGoalPct: (slow.reduce((n, x) => n + (x - opts.goalMs), 0) / wall) * 100,
    };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatDisk(probes: readonly DiskProbe[]): string {
  const f = (x: number) => x.toFixed(2);
  const p = probes[0]!;
  return [
    `### The disk alone, just before each open-loop run of Colloquy (write ${p.bytes / 1024} KiB + fdatasync, ${p.rate}/s, ${p.seconds} s, in the servers' temp dir)`,
    '',
    `A message that arrives while the disk holds a sync cannot be acknowledged before the sync ends. A disk that spends more than 1 % ` +
      `of the time in syncs beyond ${p.goalMs} ms leaves no server that persists before it acks a p99 of ${p.goalMs} ms. Stalls come and go: ` +
      `each probe shows how the disk behaved next to its run, not during it.`,
    '',
    `| before | syncs | p50 ms | p99 ms | p99.9 ms | max ms | syncs > ${p.goalMs} ms | time beyond ${p.goalMs} ms |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...probes.map((d) => `| ${d.scenario} rep ${d.rep} | ${d.syncs} | ${f(d.p50)} | ${f(d.p99)} | ${f(d.p999)} | ${f(d.max)} | ${d.slowSyncs} | **${f(d.beyondGoalPct)} %** |`),
    '',
  ].join('\n');
}
