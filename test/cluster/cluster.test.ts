/**
 * Three Colloquy processes sharing PostgreSQL and Redis, no sticky sessions: whatever node a request or a
 * socket lands on, a user sees one conversation. (Failures — kill -9, pub/sub cut, rolling restart — are in
 * failures.test.ts; sessions in sessions.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KoreClient, KoreSocket, type Frame } from '../support/kore-client.js';
import { ensureBuilt } from '../protocol/processes.js';
import { need, SERVICES } from '../support/services.js';
import { Cluster, LOGIN } from './harness.js';
import { Device, expectedFor, logOf } from './device.js';

const available =
  need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available()) &&
  need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

const identity = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;
const isType = (type: string) => (f: Frame) => f['type'] === type;
const botText = (f: Frame): string | undefined => (f['type'] === 'bot_response' ? f['message']?.[0]?.cInfo?.body : undefined);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!available)('a cluster of three nodes', () => {
  let cluster: Cluster;
  const url = (i: number) => () => cluster.nodes[i]!.url;
  beforeAll(async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 3 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  test('a ticket minted on node A opens a socket on node B, once', async () => {
    const client = await KoreClient.login(cluster.nodes[0]!.url, { ...LOGIN, identity: identity('ticket') });
    const start = await client.rtmStart();
    expect(start.status).toBe(200);
    const onA = new URL(start.body.url);
    expect(onA.port).toBe(new URL(cluster.nodes[0]!.url).port);
    const onB = new URL(start.body.url);
    onB.port = new URL(cluster.nodes[1]!.url).port;
    const socket = await KoreSocket.open(`${onB.href}&isReconnect=true`, client);
    await socket.next(isType('bot_active'));
    const onC = new URL(start.body.url);
    onC.port = new URL(cluster.nodes[2]!.url).port;
    await expect(KoreSocket.open(onC.href, client)).rejects.toMatchObject({ status: 401 });
    await socket.close();
  });

  test('an assertion (jti) used on one node is refused on another', async () => {
    const { mintDevJwt } = await import('../../src/auth/dev-jwt.js');
    const app = { clientId: LOGIN.clientId, name: 'test', clientSecret: LOGIN.clientSecret, algorithms: ['HS256' as const], botIds: [LOGIN.botId] };
    const jwt = await mintDevJwt({ app, identity: identity('jti') });
    expect(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti).toBeTruthy();
    const grant = (i: number) =>
      fetch(`${cluster.nodes[i]!.url}/api/oAuth/token/jwtgrant`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ assertion: jwt, botInfo: { chatBot: LOGIN.botName, taskBotId: LOGIN.botId } }),
      });
    expect((await grant(0)).status).toBe(200);
    const again = await grant(1);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('JWT_REPLAY');
  });

  test('one user with tabs on A and B: each sees the other\'s user_message and every bot answer', async () => {
    const who = identity('tabs');
    const a = await Device.login(url(0), who, 'a');
    const b = await Device.login(url(1), who, 'b');
    await Promise.all([a.connect(), b.connect()]);
    await Promise.all([a.socket!.next(isType('bot_active')), b.socket!.next(isType('bot_active'))]);
    for (let i = 0; i < 3; i++) {
      a.say(`from a ${i}`);
      await until(() => b.shown.some((s) => s.text === `bot:You said: from a ${i}`), 5000, `answer ${i} on b`);
      b.say(`from b ${i}`);
      await until(() => a.shown.some((s) => s.text === `bot:You said: from b ${i}`), 5000, `answer ${i} on a`);
    }
    await until(() => a.shown.length === 9 && b.shown.length === 9, 5000, 'every message on both tabs');
    const log = await logOf(a.client);
    expect(log).toHaveLength(12);
    for (const d of [a, b]) {
      expect(d.shown.map((s) => s.text)).toEqual(expectedFor(d, log));
      expect(d.socket!.ofType('user_message').every((f) => f['from'] === 'self')).toBe(true);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('a burst from two devices on different nodes is processed in one order, and every tab sees that order', async () => {
    const who = identity('burst');
    const a = await Device.login(url(0), who, 'a');
    const b = await Device.login(url(1), who, 'b');
    const c = await Device.login(url(2), who, 'c');
    await Promise.all([a.connect(), b.connect(), c.connect()]);
    await Promise.all([a, b, c].map((d) => d.socket!.next(isType('bot_active'))));
    for (let i = 0; i < 15; i++) {
      a.say(`burst a ${i}`);
      b.say(`burst b ${i}`);
    }
    await until(() => c.shown.filter((s) => s.text.startsWith('bot:')).length === 30, 15_000, '30 answers on the passive tab');
    await until(() => a.acked.size === 15 && b.acked.size === 15, 5000, 'every ack');
    const log = await logOf(c.client);
    expect(log).toHaveLength(60);
    // Each message is answered right after it (one turn at a time), and each device's messages keep their order.
    for (let k = 0; k < 60; k += 2) expect(log[k + 1]).toBe(`bot:You said: ${log[k]!.slice('user:'.length)}`);
    for (const name of ['a', 'b']) {
      const mine = log.filter((m) => m.startsWith(`user:burst ${name}`));
      expect(mine).toEqual(Array.from({ length: 15 }, (_, i) => `user:burst ${name} ${i}`));
    }
    for (const d of [a, b, c]) {
      expect(d.shown.map((s) => s.text), `what tab ${d.name} showed`).toEqual(expectedFor(d, log));
      const seqs = d.socket!.frames.filter((f) => typeof f['seq'] === 'number').map((f) => f['seq'] as number);
      for (let k = 1; k < seqs.length; k++) expect(seqs[k]!, `seq order on ${d.name}`).toBeGreaterThan(seqs[k - 1]!);
    }
    await Promise.all([a.close(), b.close(), c.close()]);
  }, 30_000);

  test('a new window\'s welcome is in its first history page even when that request lands on another node', async () => {
    const client = await KoreClient.login(cluster.nodes[0]!.url, { ...LOGIN, identity: identity('welcome') });
    const socket = await client.connect(); // a new window: rtm/start and socket on node A
    await socket.next(isType('bot_active'));
    const asked = Date.now();
    const history = await fetch(`${cluster.nodes[1]!.url}/api/botmessages/rtm?botId=${LOGIN.botId}&limit=10`, {
      headers: { authorization: `bearer ${client.accessToken}` },
    });
    const body = (await history.json()) as { messages: Frame[] };
    expect(body.messages.map((m) => m['components'][0].data.text)).toEqual([expect.stringMatching(/Colloquy demo bot/)]);
    expect(Date.now() - asked).toBeLessThan(900); // released by the request, not by the 1 s fallback
    const live = await socket.next((f) => /Colloquy demo bot/.test(botText(f) ?? ''), 3000);
    expect(live['messageId']).toBe(body.messages[0]!['_id']);
    await sleep(1200);
    expect(socket.ofType('bot_response')).toHaveLength(1); // greeted once
    await socket.close();
  });

  test('a reconnect on node B closes the device\'s stale socket on node A (4501) and resumes without a gap', async () => {
    const who = identity('stale');
    const phone = await Device.login(url(0), who, 'phone');
    const laptop = await Device.login(url(2), who, 'laptop');
    const stale = await phone.connect();
    await laptop.connect();
    await Promise.all([stale.next(isType('bot_active')), laptop.socket!.next(isType('bot_active'))]);
    laptop.say('seen by the phone');
    await until(() => phone.shown.some((s) => s.text === 'bot:You said: seen by the phone'), 5000, 'first answer on the phone');
    await sleep(1200); // the phone's node saves its cursor at most once a second
    // The phone's network dies: its socket is open on node A, but nothing it gets is read any more.
    (stale.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    laptop.say('lost in the tunnel');
    await until(() => laptop.acked.size === 2, 5000, 'the second ack');
    await sleep(200);
    const back = await phone.connect(true, (await phone.client.rtmStart().then((r) => r.body.url as string)).replace(new URL(cluster.nodes[0]!.url).port, new URL(cluster.nodes[1]!.url).port));
    await back.next(isType('bot_active'));
    await until(() => phone.shown.some((s) => s.text === 'bot:You said: lost in the tunnel'), 5000, 'what the stale socket never delivered');
    (stale.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await stale.closed).code).toBe(4501);
    const log = await logOf(phone.client);
    expect(phone.shown.map((s) => s.text)).toEqual(expectedFor(phone, log));
    await Promise.all([phone.close(), laptop.close()]);
  });

  test('a user blocked with the CLI is disconnected on every node, and refused everywhere', async () => {
    const who = identity('blocked');
    const a = await Device.login(url(0), who, 'a');
    const b = await Device.login(url(1), who, 'b');
    await Promise.all([a.connect(), b.connect()]);
    await Promise.all([a.socket!.next(isType('bot_active')), b.socket!.next(isType('bot_active'))]);
    const blocked = await cluster.cli(['user', 'block', '--bot', LOGIN.botId, '--user', who]);
    expect(blocked.code, blocked.stderr).toBe(0);
    const closes = await Promise.all([a.socket!.closed, b.socket!.closed]);
    expect(closes.map((c) => c.code)).toEqual([1008, 1008]);
    expect((await KoreClient.login(cluster.nodes[2]!.url, { ...LOGIN, identity: who }).catch((e: Error) => e)).message).toMatch(/jwtgrant 403/);
    expect((await cluster.cli(['user', 'unblock', '--bot', LOGIN.botId, '--user', who])).code).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
  test('the demo helpdesk keeps its tickets in PostgreSQL: created through node A, found through nodes B and C', async () => {
    const { helpdeskToken } = await import('../../src/helpdesk/tickets.js');
    const auth = { authorization: `Bearer ${helpdeskToken(cluster.env['COLLOQUY_SECRET']!)}`, 'content-type': 'application/json' };
    const requester = identity('tickets');
    const created = await fetch(`${cluster.nodes[0]!.url}/api/helpdesk/tickets`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ requester, summary: 'VPN drops every hour' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const onB = await fetch(`${cluster.nodes[1]!.url}/api/helpdesk/tickets/${id}?requester=${encodeURIComponent(requester)}`, { headers: auth });
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ id, summary: 'VPN drops every hour', status: 'open' });
    const onC = await fetch(`${cluster.nodes[2]!.url}/api/helpdesk/tickets?requester=${encodeURIComponent(requester)}`, { headers: auth });
    expect(((await onC.json()) as { tickets: { id: string }[] }).tickets.map((t) => t.id)).toEqual([id]);
  });
});
