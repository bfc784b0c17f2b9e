/**
 * The processes of a measurement: the server under test (pinned to core 0) and the load generator
 * (core 1), with an environment cleaned of COLLOQUY_* and NODE_OPTIONS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FatalReply, LoadgenCmd, RunCmd, RunResult, SetupCmd, SetupResult, Target } from './loadgen/protocol.js';
import { log } from './log.js';
import { GC_HOOK, ROOT, SNAPSHOT } from './paths.js';

/** `cmd args`, under `taskset -c <core>` when pinning. */
export function onCore(pinned: boolean, core: number, cmd: string, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COLLOQUY_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

/** A line handler that appends to `lines`, keeping the last `max`. */
function keepLast(lines: string[], max: number): (line: string) => void {
  return (line) => {
    lines.push(line);
    if (lines.length > max) lines.splice(0, lines.length - max);
  };
}

export interface Server {
  readonly target: Target;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Baselines: ws://…/ ; Colloquy: http://… */
  readonly url: string;
  readonly dataDir: string | undefined;
  /** The last 200 lines of its stdout and stderr. */
  readonly output: string[];
  /** Several nodes (bench/cluster.ts): every node's pid and URL (the first ones are `pid` and `url`). */
  readonly pids?: readonly number[];
  readonly urls?: readonly string[];
  /** Processes of outside services to report apart (PostgreSQL, Redis). */
  readonly serviceNames?: readonly string[];
}

/** More for one Colloquy process: settings, and the core to pin it to (default 0). */
export interface ServerExtra {
  readonly env?: Record<string, string>;
  readonly core?: number;
  /** Run Colloquy from this copy of the project (its dist/, bots/ and package.json) instead of SNAPSHOT. */
  readonly build?: string;
}

export interface ServerConfig {
  readonly pinned: boolean;
  /** Colloquy's COLLOQUY_SQLITE_SYNCHRONOUS; its default when undefined. */
  readonly sync: 'full' | 'normal' | undefined;
  /** Node/V8 flags for Colloquy's processes only (`--server-flags`, for experiments). */
  readonly serverFlags?: readonly string[];
}

/** The Node flags Colloquy ships with: those of its executable's shebang (`#!/usr/bin/env -S node …`). */
export function shippedFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0]!;
  return /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)?.[1]!.split(' ').filter(Boolean) ?? [];
}

/**
 * Starts a fresh server and resolves with its URL once it says it listens. Colloquy runs from the dist/
 * snapshot with the demo configuration, a fresh data directory in the temp dir, rate limits raised and
 * log level warn; the group-commit baseline gets a fresh data directory too, and `--sync` as Colloquy does.
 * All get --expose-gc, and SIGUSR2 runs a full GC (gc-hook.mjs for Colloquy).
 */
export async function startServer(target: Target, config: ServerConfig, nodeFlags: string[] = [], extra: ServerExtra = {}): Promise<Server> {
  let args: string[];
  let env: NodeJS.ProcessEnv;
  let dataDir: string | undefined;
  if (target === 'echo') {
    args = [...nodeFlags, '--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'echo-server.ts'), '0'];
    env = cleanEnv({});
  } else if (target === 'group-commit') {
    dataDir = mkdtempSync(join(os.tmpdir(), 'colloquy-bench-'));
    args = [...nodeFlags, '--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'group-commit-server.ts'), '0', dataDir];
    env = cleanEnv(config.sync ? { GROUP_COMMIT_SYNC: config.sync } : {});
  } else {
    dataDir = mkdtempSync(join(os.tmpdir(), 'colloquy-bench-'));
    const cli = join(extra.build ?? SNAPSHOT, 'dist', 'server', 'cli.js');
    args = [...(config.serverFlags ?? []), ...shippedFlags(cli), ...nodeFlags, '--expose-gc', '--import', GC_HOOK, cli, 'start'];
    env = cleanEnv({
      COLLOQUY_PORT: '0',
      COLLOQUY_HOST: '127.0.0.1',
      COLLOQUY_DATA_DIR: dataDir,
      COLLOQUY_RATE_LIMIT_BURST: '1000000',
      COLLOQUY_RATE_LIMIT_PER_SEC: '1000000',
      COLLOQUY_LOG_LEVEL: 'warn',
      ...(config.sync ? { COLLOQUY_SQLITE_SYNCHRONOUS: config.sync } : {}),
      ...extra.env,
    });
  }
  const [cmd, argv] = onCore(config.pinned, extra.core ?? 0, process.execPath, args);
  const proc = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = keepLast(output, 200);
  createInterface({ input: proc.stderr! }).on('line', keep);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target} did not start in 30 s:\n${output.join('\n')}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`${target} exited (${code}) during start:\n${output.join('\n')}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      keep(line);
      const echo = /^listening (\d+)/.exec(line);
      const coll = /serving (http:\/\/\S+)/.exec(line);
      if (echo) resolveUrl(`ws://127.0.0.1:${echo[1]}/`);
      else if (coll) resolveUrl(coll[1]!);
      else return;
      clearTimeout(timer);
    });
  });
  return { target, proc, pid: proc.pid!, url, dataDir, output };
}

/** SIGTERM, then SIGKILL after `timeoutMs`; removes the data directory. Resolves with the exit code. */
export async function stopServer(s: Server, timeoutMs = 20_000): Promise<number | null> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
    s.proc.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(timeoutMs, 'timeout' as const, { ref: false })]);
    if (code === 'timeout') {
      log(`${s.target} did not exit within ${timeoutMs} ms of SIGTERM; killing it`);
      s.proc.kill('SIGKILL');
      await exited;
    }
  }
  if (s.dataDir) rmSync(s.dataDir, { recursive: true, force: true });
  return s.proc.exitCode;
}

/** The runner's end of the load generator's protocol (loadgen/protocol.ts). */
export interface Loadgen {
  setup(cmd: Omit<SetupCmd, 'cmd'>): Promise<SetupResult>;
  run(cmd: Omit<RunCmd, 'cmd'>): Promise<RunResult>;
  close(): Promise<void>;
}

export async function startLoadgen(pinned: boolean): Promise<Loadgen> {
  const [cmd, argv] = onCore(pinned, 1, process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'loadgen.ts')]);
  const proc = spawn(cmd, argv, { cwd: ROOT, env: cleanEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', keepLast(stderr, 50));
  // Replies come in command order: each one settles the oldest command still waiting.
  const waiting: { resolve: (v: any) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: { type?: string } & Partial<FatalReply>;
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return log(`loadgen: ${line}`);
    }
    const w = waiting.shift();
    if (!w) return;
    if (msg.type === 'fatal') w.reject(new Error(`loadgen: ${msg.message}`));
    else w.resolve(msg);
  });
  proc.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`loadgen exited (${code}): ${stderr.join('\n')}`));
  });
  const send = (c: LoadgenCmd) => proc.stdin!.write(`${JSON.stringify(c)}\n`);
  const ask = <T>(c: LoadgenCmd): Promise<T> =>
    new Promise<T>((res, rej) => {
      waiting.push({ resolve: res, reject: rej });
      send(c);
    });
  return {
    setup: (c) => ask<SetupResult>({ cmd: 'setup', ...c }),
    run: (c) => ask<RunResult>({ cmd: 'run', ...c }),
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      send({ cmd: 'close' });
      await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}
