/**
 * Instructions the server executed per round trip, counted by `perf stat` over the measured window. Unlike CPU
 * time this does not move when the host is busy or the clock speed changes (this VM's neighbours move CPU µs by
 * ±30 % between runs), so it is the steadier figure for comparing two builds; CPU time stays the goal's unit.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { perfAvailable } from './profile-perf.js';

let available: boolean | undefined;

/** Count the instructions (user + kernel) of `pids` from `delayMs` on, for `durationMs`; undefined without perf. */
export async function countInstructions(pids: readonly number[], delayMs: number, durationMs: number): Promise<number | undefined> {
  available ??= perfAvailable();
  if (!available) return undefined;
  await sleep(delayMs);
  return new Promise((resolve) => {
    const perf = spawn('perf', ['stat', '-x', ',', '-e', 'instructions', '-p', pids.join(','), '--', 'sleep', String(durationMs / 1000)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let out = '';
    perf.stderr.on('data', (c: Buffer) => (out += c.toString()));
    perf.on('error', () => resolve(undefined));
    perf.on('close', () => {
      // CSV: "<count>,<unit>,instructions,…"; "<not supported>" where the VM hides the counters.
      const line = out.split('\n').find((l) => l.includes(',instructions'));
      const n = line ? Number(line.split(',')[0]) : NaN;
      resolve(Number.isFinite(n) && n > 0 ? n : undefined);
    });
  });
}
