/**
 * Live-agent timeouts over the Aisera protocol, and the contact-centre connector webhook: a node with a short
 * queue timeout tells the waiting user their place (LiveAgentWaitingUpdate), then gives up
 * (LiveAgentExited noAgentAvailable) and the bot offers a ticket; a local HTTP receiver checks what the
 * webhook POSTs — signed, the entry id as idempotency key, retried after a 500.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, request, texts, uniqueUser } from '../support/aisera-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'webhook-secret-0123456789abcdef';
interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly status: number;
}
const received: Received[] = [];
let receiver: Server;
let server: TestServer;

beforeAll(async () => {
  let calls = 0;
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      // The first delivery fails: the webhook must try it again.
      const status = ++calls === 1 ? 500 : 200;
      received.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  server = await startTestServer({
    settings: {
      demoBot: HELPDESK_BOT_DIR,
      handoffQueueTimeoutSec: 3,
      handoffUpdateEverySec: 1,
      handoffWebhookUrl: `http://127.0.0.1:${port}/hook`,
      handoffWebhookSecret: SECRET,
    },
  });
});
afterAll(async () => {
  await server.stop();
  await new Promise((r) => receiver.close(r));
});

describe('no agent comes', () => {
  test('waiting updates, a queued message, then LiveAgentExited noAgentAvailable and the bot\'s ticket offer; the webhook heard it all, signed, once retried', async () => {
    const u = await RawClient.connect(server.url);
    const me = { token: DEMO_CHANNEL_KEY, userId: uniqueUser(), channelId: DEMO_CHANNEL_ID };
    const [asked] = await u.ask(request(me, { text: 'i want to talk to someone from it' }));
    const handoffId = asked!['liveAgent']['handoffId'] as string;
    const update = await u.next((f) => f['modeType'] === 'LiveAgentWaitingUpdate');
    expect(update).toMatchObject({ reqId: null, liveAgent: { handoffId, queue: { id: 'it-support', position: 1, etaSec: expect.any(Number) } } });
    const [ack] = await u.ask(request(me, { text: 'still there?' }));
    expect(ack).toMatchObject({ modeType: 'LiveAgentWaiting', liveAgent: { delivered: false, queued: true } });
    const exited = await u.next((f) => f['modeType'] === 'LiveAgentExited', 8000);
    expect(exited).toMatchObject({ reqId: null, liveAgent: { handoffId, state: 'ended', reason: 'noAgentAvailable' } });
    // The bot's fallback follows: an offer to open a ticket.
    const offer = await u.next((f) => f['seq'] > exited['seq'] && /ticket/i.test(texts([f]).join(' ')));
    expect(offer['modeType'] ?? null).toBeNull();
    const modes = u.frames.map((f) => f['modeType'] ?? null);
    expect(modes.slice(0, modes.indexOf('LiveAgentExited') + 1).filter((m) => m !== 'LiveAgentWaitingUpdate')).toEqual(['LiveAgentWaiting', 'LiveAgentWaiting', 'LiveAgentExited']);

    // The webhook: every event signed over "<timestamp>.<body>", the first one delivered twice (500, then 200).
    const deadline = Date.now() + 8000;
    const delivered = () => received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body) as Record<string, any>);
    while (Date.now() < deadline && !delivered().some((e) => e['type'] === 'handoff.ended')) await new Promise((r) => setTimeout(r, 100));
    for (const r of received) {
      const ts = r.headers['x-colloquy-timestamp'] as string;
      expect(r.headers['x-colloquy-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`);
      expect(r.headers['idempotency-key']).toBe(JSON.parse(r.body)['id']);
    }
    expect(received[0]!.status).toBe(500);
    expect(received[1]!.body).toBe(received[0]!.body);
    const events = delivered().filter((e) => e['handoffId'] === handoffId);
    expect(events.map((e) => e['type'])).toEqual(['handoff.queued', 'handoff.user_message', 'handoff.ended']);
    expect(events[0]).toMatchObject({ queue: 'it-support', reason: 'user asked for a human', conversation: { botId: expect.any(String), userId: expect.stringMatching(/^u-/) } });
    expect(events[1]).toMatchObject({ text: 'still there?', routed: 'queue' });
    expect(events[2]).toMatchObject({ endReason: 'noAgentAvailable' });
    u.close();
  });
});
