/**
 * The warm-up of `colloquy start` (src/server/warmup.ts): real turns through a scratch node of the built-in
 * demo, leaving nothing behind — neither its scratch directory nor anything in the server's own data.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { warmUp } from '../../src/server/warmup.js';
import { newDataDir } from '../support/server.js';
import { eventually } from './helpers.js';
import { ensureBuilt, startServerProcess } from './processes.js';

vi.setConfig({ testTimeout: 60_000 });

describe('warmUp', () => {
  let parent: string;
  beforeAll(() => void (parent = mkdtempSync(join(tmpdir(), 'colloquy-warmup-test-'))));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  test('answers every turn asked for and removes its scratch directory', async () => {
    const r = await warmUp(300, { tmpDir: parent });
    expect(r.turns).toBe(300);
    expect(r.ms).toBeGreaterThan(0);
    expect(readdirSync(parent)).toEqual([]);
  });

  test('0 turns: no scratch node at all', async () => {
    expect(await warmUp(0, { tmpDir: parent })).toEqual({ turns: 0, ms: 0 });
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('colloquy start', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  const conversationsIn = (dataDir: string): number => {
    const db = new Database(join(dataDir, 'colloquy.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM appends) AS n').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  test.each([
    ['warms up by default, without a trace in its data', {}, 3000],
    ['COLLOQUY_WARMUP_TURNS=0 starts without it', { COLLOQUY_WARMUP_TURNS: '0' }, 0],
  ])('%s', async (_name, env: Record<string, string>, turns) => {
    const dataDir = newDataDir();
    const server = await startServerProcess(dataDir, { COLLOQUY_LOG_LEVEL: 'info', ...env });
    try {
      expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true, connections: 0 });
      // (The JSON log is written asynchronously: it may follow the "serving" line by a moment.)
      const logged = () => server.output().split('\n').filter((l) => l.includes('"server.warmed_up"'));
      if (turns === 0) expect(logged()).toEqual([]);
      else expect(JSON.parse(await eventually(async () => logged()[0], 10_000, 100, "the warm-up log line"))).toMatchObject({ turns });
      expect(conversationsIn(dataDir)).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
