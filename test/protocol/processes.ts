/**
 * The real server and CLI as child processes (`node dist/server/cli.js …`): build dist/ when it is
 * missing or older than src/, start a server and read its URL from stdout, run CLI commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECHO_BOT_DIR } from '../support/server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'server', 'cli.js');

function newest(dir: string, ext: string): number {
  let max = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p, ext));
    else if (e.name.endsWith(ext)) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

const fresh = () => existsSync(CLI) && newest(join(ROOT, 'dist'), '.js') >= newest(join(ROOT, 'src'), '.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run build` (tsc) unless dist/ is up to date; one build at a time across test files. */
export async function ensureBuilt(): Promise<void> {
  if (fresh()) return;
  const lock = join(tmpdir(), `colloquy-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another build');
      await sleep(200);
      if (fresh()) return;
      continue;
    }
    try {
      if (!fresh()) {
        const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
        const r = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], ROOT, process.env);
        // Type errors still emit JavaScript; only a missing CLI is fatal here.
        if (!existsSync(CLI)) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    return;
  }
}

/** process.env without any COLLOQUY_* setting of the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COLLOQUY_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000, stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `colloquy <args>` against `dataDir` (run in `dataDir`, so no colloquy.yaml is picked up). */
export function cli(args: string[], dataDir: string, env: Record<string, string> = {}, stdin?: string): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], dataDir, cleanEnv({ COLLOQUY_DATA_DIR: dataDir, ...env }), 20_000, stdin);
}

/** `colloquy … --json`: the parsed output, or a failure that shows what the CLI printed. */
export async function cliJson(args: string[], dataDir: string): Promise<any> {
  const r = await cli([...args, '--json'], dataDir);
  if (r.code !== 0) throw new Error(`colloquy ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`colloquy ${args.join(' ')} --json printed no JSON:\n${r.stdout}`);
  }
}

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const START_TIMEOUT_MS = 60_000;

/** `colloquy start` with COLLOQUY_PORT=0 on `dataDir`; resolves with the URL it prints. */
export function startServerProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dataDir,
    // The echo test bot, as in-process test servers (test/support/server.ts): answers name their message.
    env: cleanEnv({ COLLOQUY_DATA_DIR: dataDir, COLLOQUY_PORT: '0', COLLOQUY_LOG_LEVEL: 'warn', COLLOQUY_DEMO_BOT: ECHO_BOT_DIR, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    // Generous: a start takes a second or two, but a shared CI machine under load has taken over 20 s.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print its URL within ${START_TIMEOUT_MS / 1000} s:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /Colloquy is serving (https?:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, exited, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before serving:\n${out}`));
    });
  });
}
