/**
 * `colloquy kb ingest|search` (the built CLI, as a process): the demo bot's knowledge folder is indexed into
 * the data directory, a second ingest of unchanged files gives the same content hash, and search shows the
 * best passages and whether the bot would answer.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { newDataDir } from '../support/server.js';
import { cli, cliJson, ensureBuilt } from './processes.js';

vi.setConfig({ testTimeout: 60_000 });
beforeAll(() => ensureBuilt(), 180_000);
const dataDir = newDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('kb ingest indexes the bot\'s knowledge folder into the data directory', async () => {
  const first = await cliJson(['kb', 'ingest', '--bot', 'helpdesk'], dataDir);
  expect(first).toMatchObject({ documents: 10 });
  expect(first.passages).toBeGreaterThan(30);
  expect(existsSync(first.index)).toBe(true);
  expect(first.index.startsWith(dataDir)).toBe(true);
  const again = await cliJson(['kb', 'ingest'], dataDir);
  expect(again.hash).toBe(first.hash);
});

test('kb search shows the best passages and whether the bot answers from them', async () => {
  const r = await cliJson(['kb', 'search', 'my laptop asks for a bitlocker recovery key'], dataDir);
  expect(r.answers).toBe(true);
  expect(r.hits[0]).toMatchObject({ id: 'encryption.md#bitlocker-recovery-key', url: 'https://intranet.example.com/it/kb/encryption#bitlocker-recovery-key' });
  expect((await cliJson(['kb', 'search', 'zxqv blorp'], dataDir)).answers).toBe(false);
  const usage = await cli(['kb', 'frobnicate'], dataDir);
  expect(usage.code).toBe(2);
});
