/**
 * `colloquy agent add|list|password|remove` against the data directory of a RUNNING server: the server
 * sees each change at once (sign-in works, then with the new password only, then not at all); a new password
 * or a removal closes the account's open consoles.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { AgentClient } from '../support/agent-client.js';
import { KoreSocket, postJson } from '../support/kore-client.js';
import { newDataDir, startTestServer, type TestServer } from '../support/server.js';
import { CLI, cleanEnv, ensureBuilt, type RunResult } from './processes.js';

vi.setConfig({ testTimeout: 60_000 });
let server: TestServer;
let dataDir: string;
beforeAll(async () => {
  await ensureBuilt();
  dataDir = newDataDir();
  server = await startTestServer({ dataDir });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `colloquy agent …` with `stdin` piped in. */
function agentCli(args: string[], stdin = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'agent', ...args], { cwd: dataDir, env: cleanEnv({ COLLOQUY_DATA_DIR: dataDir }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
const login = (id: string, password: string) => postJson(`${server.url}/api/agent/login`, { id, password });

test('agents added, listed, re-passworded and removed by the CLI take effect on the running server', async () => {
  const add = await agentCli(['add', 'kim', '--name', 'Kim Lee', '--queues', 'it-support,hr', '--capacity', '2', '--password-stdin', '--json'], 'first-password-1\n');
  expect(add.code, add.stderr).toBe(0);
  expect(JSON.parse(add.stdout)).toMatchObject({ id: 'kim', name: 'Kim Lee', queues: ['it-support', 'hr'], capacity: 2, created: true });
  // (Four sign-ins in all: the account's sign-in budget allows five at once.)
  const ok = await login('kim', 'first-password-1');
  expect(ok.status).toBe(200);
  expect(ok.body.agent).toEqual({ id: 'kim', name: 'Kim Lee', queues: ['it-support', 'hr'], capacity: 2 });

  const list = await agentCli(['list', '--json']);
  const agents = JSON.parse(list.stdout) as { id: string; password: boolean; passwordHash?: string }[];
  expect(agents.map((a) => a.id)).toEqual(['dana', 'kim', 'sam']);
  expect(agents.every((a) => a.password === true && a.passwordHash === undefined)).toBe(true);

  // A new password shuts out whoever knew the old one: the open console, the old token, a ticket minted before.
  const before = AgentClient.withToken(server.url, ok.body.token, 'kim');
  const open = await before.connect();
  const earlyTicket = await before.ticketUrl();
  expect((await agentCli(['password', 'kim', '--password-stdin'], 'second-password-2')).code).toBe(0);
  expect((await login('kim', 'first-password-1')).status).toBe(401);
  const again = await login('kim', 'second-password-2');
  expect(again.status).toBe(200);
  expect(await open.closed).toMatchObject({ code: 1008 });
  const oldToken = await postJson(`${server.url}/api/agent/ticket`, {}, { authorization: `Bearer ${before.token}` });
  expect(oldToken.status).toBe(401);
  expect(oldToken.body.errors[0].code).toBe('AGENT_PASSWORD_CHANGED');
  await expect(KoreSocket.open(earlyTicket)).rejects.toMatchObject({ status: 401, body: expect.stringContaining('AGENT_PASSWORD_CHANGED') });
  const console_ = await AgentClient.withToken(server.url, again.body.token, 'kim').connect();
  await new Promise((r) => setTimeout(r, 1500)); // a board round or more: the new console stays
  expect(console_.ws.readyState).toBe(1);

  const short = await agentCli(['password', 'kim', '--password-stdin'], 'short');
  expect(short.code).toBe(2);
  expect(short.stderr).toContain('at least 8 characters');

  // An open console of a removed agent is closed (1008) within a board round.
  expect((await agentCli(['remove', 'kim'])).code).toBe(0);
  expect((await console_.closed).code).toBe(1008);
  expect((await login('kim', 'second-password-2')).status).toBe(401);
  expect((await agentCli(['remove', 'kim'])).code).toBe(2);
}, 60_000); // seven CLI processes, each a Node start: 17 s beside the suite on two cores
