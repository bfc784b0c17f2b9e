/**
 * The CLI's Aisera commands as child processes against a running server: `colloquy channel create --json`
 * (the new channel and key work at once, without a restart), `channel list`, and `colloquy chat --protocol
 * aisera` — a person's session, typed line by line on stdin, with a form asked field by field.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { DEMO_BOT_ID } from '../../src/server/demo.js';
import { AISERA_BOT_DIR, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, request, rest, texts, uniqueUser } from '../support/aisera-client.js';
import { newDataDir, startTestServer, type TestServer } from '../support/server.js';
import { CLI, ROOT, cleanEnv, cli, cliJson, ensureBuilt } from './processes.js';

vi.setConfig({ testTimeout: 60_000 });
let server: TestServer;
let dataDir: string;
beforeAll(async () => {
  await ensureBuilt();
  dataDir = newDataDir();
  server = await startTestServer({ dataDir, settings: { demoBot: AISERA_BOT_DIR } });
}, 180_000);
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('channel create --json prints an id and a key that work against the running server; list shows it without the key', async () => {
  const made = await cliJson(['channel', 'create', '--bot', DEMO_BOT_ID, '--origin', 'https://app.example', '--idle-timeout', '120'], dataDir);
  expect(made).toMatchObject({ botId: DEMO_BOT_ID, origins: ['https://app.example'], idleTimeoutSec: 120 });
  expect(made.channelId).toMatch(/^[0-9a-f-]{36}$/);
  expect(made.channelKey).toMatch(/^ck_[A-Za-z0-9_-]{40,}$/);
  const c = await RawClient.connect(server.url);
  expect(texts(await c.ask(request({ token: made.channelKey, userId: 'from-cli', channelId: made.channelId }, { text: 'hello cli' })))).toEqual(['You said: hello cli']);
  c.close();
  const listed = await cliJson(['channel', 'list'], dataDir);
  const mine = (listed as Record<string, unknown>[]).find((l) => l['id'] === made.channelId);
  expect(mine).toMatchObject({ botId: DEMO_BOT_ID, origins: ['https://app.example'] });
  expect(JSON.stringify(listed)).not.toContain(made.channelKey);
  const bad = await cli(['channel', 'create', '--bot', 'st-nope'], dataDir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('no bot has the id st-nope');
}, 60_000); // three CLI processes, each a Node start: 13 s beside the suite on two cores

test('user block --channel blocks an Aisera user of that channel on the running server (only them), and unblock lets them back', async () => {
  const who = uniqueUser('blocked');
  const other = uniqueUser('free');
  const say = (userId: string) => rest(server.url, request({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID }, { text: 'hello' }));
  expect((await say(who)).status).toBe(200);
  const until = async (userId: string, status: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await say(userId);
      if (r.status === status || Date.now() > deadline) return r;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  };
  const blocked = await cliJson(['user', 'block', '--bot', DEMO_BOT_ID, '--channel', DEMO_CHANNEL_ID, '--user', who], dataDir);
  expect(blocked).toMatchObject({ identity: `aisera:${DEMO_CHANNEL_ID}:${who}`, blocked: true });
  const refused = await until(who, 403);
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ errorCode: 'USER_BLOCKED' });
  expect((await say(other)).status).toBe(200);
  await cliJson(['user', 'unblock', '--bot', DEMO_BOT_ID, '--channel', DEMO_CHANNEL_ID, '--user', who], dataDir);
  expect((await until(who, 200)).status).toBe(200);
});

test('colloquy chat --protocol aisera: options by number, a form field by field, history, logout', async () => {
  const lines = [
    'vpn',
    '1',
    'show me the form',
    // The eight fields, in order (the textarea is optional; an empty answer leaves it out).
    'Quick brown fox',
    '',
    '2021-11-17',
    'option3',
    'option2',
    'check1, check2',
    '6',
    'yes',
    '/history',
    '/logout',
    '/quit',
  ];
  const child = spawn(process.execPath, [CLI, 'chat', '--protocol', 'aisera', '--url', server.url, '--user', 'terminal-user'], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(`${lines.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toContain('bot: Open the VPN client and choose "Reset".');
  expect(out).toContain('  1. This is what I was looking for');
  expect(out).toContain('bot: Glad it helped!');
  expect(out).toContain('[the sample form started');
  expect(out).toContain('  Simple string: ');
  expect(out).toContain('  Boolean (yes/no): ');
  expect(out).toContain('bot: Form received: Quick brown fox, 2021-11-17, option3, option2, check1, check2, 6, yes.');
  expect(out).toContain('  user: This is what I was looking for');
  expect(out).toContain('[session ended: logout]');
});
