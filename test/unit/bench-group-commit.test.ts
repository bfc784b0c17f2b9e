/**
 * The benchmark's bare group-commit baseline (bench/group-commit-server.ts), as a process on a real socket: it
 * answers like the echo, and each frame and its reply are committed by the time its ack arrives (read back
 * through a second connection to the database at that moment: a server that acked without committing fails).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';

let dir: string;
let proc: ChildProcess;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'colloquy-bench-gc-'));
  proc = spawn(process.execPath, ['--import', 'tsx', 'bench/group-commit-server.ts', '0', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`exited ${code}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^listening (\d+)/.exec(line);
      if (m) resolve(`ws://127.0.0.1:${m[1]}/`);
    });
  });
}, 30_000);

afterAll(async () => {
  if (proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('each frame is answered with an ack and a bot_response, and its row is committed when the ack arrives', async () => {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once('open', r));
  const db = new Database(join(dir, 'baseline.db'), { readonly: true });
  const seen: { type: string; replyto: number; rowsAtAck?: number }[] = [];
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; replyto: number };
      // Read at once, on another connection: what is there is what a COMMIT made durable.
      const rows = f.type === 'ack' ? (db.prepare('SELECT count(*) AS n FROM messages WHERE inbound LIKE ?').get(`%"id":${f.replyto}}`) as { n: number }).n : undefined;
      seen.push({ ...f, ...(rows !== undefined ? { rowsAtAck: rows } : {}) });
      if (seen.length === 6) resolve();
    });
  });
  // Three frames in one tick share one transaction.
  for (const id of [1, 2, 3]) ws.send(JSON.stringify({ clientMessageId: id, message: { body: 'hi', attachments: [] }, resourceid: '/bot.message', id }));
  await done;
  expect(seen.map((f) => `${f.type}:${f.replyto}`)).toEqual(['ack:1', 'bot_response:1', 'ack:2', 'bot_response:2', 'ack:3', 'bot_response:3']);
  expect(seen.filter((f) => f.type === 'ack').map((f) => f.rowsAtAck)).toEqual([1, 1, 1]);
  const stored = db.prepare('SELECT reply FROM messages ORDER BY no').all() as { reply: string }[];
  expect(stored.map((r) => (JSON.parse(r.reply) as { replyto: number }).replyto)).toEqual([1, 2, 3]);
  db.close();
  ws.close();
});
