/**
 * The "bare group commit" baseline of /work/shared/reference/performance.md (`sqlite-batch-full`): the raw
 * `ws` echo (bench/echo-server.ts) plus durability and nothing else. Each client frame and its reply are
 * inserted into SQLite (better-sqlite3, WAL, `synchronous=FULL` unless `GROUP_COMMIT_SYNC=normal`); the
 * frames of one turn of the event loop share one transaction, and the ack and `bot_response` are sent only
 * after its COMMIT returned. No auth, no sessions, no bot, no index: the floor of a server that persists
 * before it acks, on this machine, against which Colloquy's durable path can be compared.
 *
 * Usage: node --import tsx bench/group-commit-server.ts <port> <data dir>   (port 0 = any free port)
 * Prints `listening <port>` on stdout once ready. SIGUSR2 runs a full GC when started with --expose-gc.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const dir = process.argv[3];
if (!dir) throw new Error('usage: group-commit-server.ts <port> <data dir>');

const db = new Database(join(dir, 'baseline.db'));
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${process.env['GROUP_COMMIT_SYNC'] === 'normal' ? 'NORMAL' : 'FULL'}`);
db.exec('CREATE TABLE IF NOT EXISTS messages (no INTEGER PRIMARY KEY, inbound TEXT NOT NULL, reply TEXT NOT NULL)');
const insert = db.prepare<[string, string]>('INSERT INTO messages (inbound, reply) VALUES (?, ?)');

interface Pending {
  readonly ws: WebSocket;
  readonly inbound: string;
  readonly ack: string;
  readonly reply: string;
}
const commitAll = db.transaction((batch: readonly Pending[]) => {
  for (const p of batch) insert.run(p.inbound, p.reply);
});

let queue: Pending[] = [];
function flush(): void {
  const batch = queue;
  queue = [];
  commitAll.immediate(batch);
  for (const p of batch) {
    p.ws.send(p.ack);
    p.ws.send(p.reply);
  }
}

const BOT_TEXT = 'You said: hi';
const MESSAGE = JSON.stringify([{ type: 'text', component: { type: 'text', payload: { text: BOT_TEXT } }, cInfo: { body: BOT_TEXT } }]);

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false, maxPayload: 16_384 });
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data) => {
    const inbound = data.toString();
    let frame: { clientMessageId?: unknown; id?: unknown };
    try {
      frame = JSON.parse(inbound) as typeof frame;
    } catch {
      return;
    }
    const id = JSON.stringify(frame.clientMessageId ?? frame.id ?? null);
    if (queue.length === 0) setImmediate(flush);
    queue.push({
      ws,
      inbound,
      ack: `{"ok":true,"replyto":${id},"type":"ack"}`,
      reply: `{"type":"bot_response","from":"bot","replyto":${id},"message":${MESSAGE},"createdOn":"${new Date().toISOString()}"}`,
    });
  });
});

wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
const stop = (): void => {
  db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
