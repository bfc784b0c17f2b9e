/** Facts about the box and the build under test, checked at start and recorded with every result. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './options.js';
import { ROOT } from './paths.js';

export interface Pinning {
  /** Server on core 0 and load generator on core 1 (`taskset`). */
  readonly pinned: boolean;
  readonly why: string;
}

export function detectPinning(unpinned: boolean): Pinning {
  if (unpinned) return { pinned: false, why: 'unpinned on request (--unpinned)' };
  if (os.cpus().length < 2) return { pinned: false, why: `only ${os.cpus().length} CPU: cannot pin server and generator apart` };
  try {
    execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
    return { pinned: true, why: 'server `taskset -c 0`, load generator `taskset -c 1`' };
  } catch {
    return { pinned: false, why: 'taskset unavailable: server and generator UNPINNED (scheduler\'s choice)' };
  }
}

/** Ticks per second of /proc's CPU times. */
export function clkTck(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export function fdLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

/** Refuses, before anything starts, connection counts that the fd limit cannot hold. */
export function assertFdLimit(opts: BenchOptions, limit: number): void {
  const maxConns = Math.max(...opts.connections, opts.openConnections);
  if (Number.isFinite(limit) && maxConns + opts.setupConcurrency + 100 > limit) {
    throw new Error(`${maxConns} connections need more file descriptors than the limit (ulimit -n = ${limit})`);
  }
}

const pkgVersion = (name: string): string | null => {
  const p = join(ROOT, 'node_modules', name, 'package.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : null;
};

function gitState(): { commit: string; dirtySrcFiles: number } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return { commit, dirtySrcFiles: dirty };
  } catch {
    return null;
  }
}

export function describeMachine(pinning: Pinning, clkTck: number, fdLimit: number) {
  return {
    git: gitState(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ws: pkgVersion('ws'),
    bufferutil: pkgVersion('bufferutil'),
    betterSqlite3: pkgVersion('better-sqlite3'),
    fdLimit,
    clkTck,
    pinning: pinning.why,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
export type Machine = ReturnType<typeof describeMachine>;
