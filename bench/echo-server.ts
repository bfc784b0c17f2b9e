/**
 * The raw `ws` echo baseline of docs/performance.md (and /work/shared/reference/performance.md):
 * per client frame, parse the JSON → send `{"ok":true,"replyto":id,"type":"ack"}` → send a
 * `bot_response` (≈230 B) with `replyto` = the frame's id. Nothing else: no auth, no state, no storage.
 *
 * Usage: node --import tsx bench/echo-server.ts [port]   (port 0 = any free port)
 * Prints `listening <port>` on stdout once ready. SIGUSR2 runs a full GC when started with --expose-gc.
 */
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? process.env['ECHO_PORT'] ?? 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false, maxPayload: 16_384 });

const BOT_TEXT = 'You said: hi';
const MESSAGE = JSON.stringify([{ type: 'text', component: { type: 'text', payload: { text: BOT_TEXT } }, cInfo: { body: BOT_TEXT } }]);

wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data) => {
    let frame: { clientMessageId?: unknown; id?: unknown };
    try {
      frame = JSON.parse(data.toString()) as typeof frame;
    } catch {
      return;
    }
    const id = JSON.stringify(frame.clientMessageId ?? frame.id ?? null);
    ws.send(`{"ok":true,"replyto":${id},"type":"ack"}`);
    ws.send(`{"type":"bot_response","from":"bot","replyto":${id},"message":${MESSAGE},"createdOn":"${new Date().toISOString()}"}`);
  });
});

wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
