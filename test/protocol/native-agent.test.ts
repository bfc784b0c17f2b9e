import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { hashPassword } from '../../src/auth/passwords.js';
import { openTenancy } from '../../src/server/engines.js';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { AgentClient, waitingIn } from '../support/agent-client.js';
import { KoreClient, KoreSocket, postJson, type Frame } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The native agent protocol, black-box over raw WebSockets: sign-in, tickets, the accept race, messages
 * both ways, reconnect + resume with no gap and no duplicate, bad frames, and the user leaving.
 */

let server: TestServer;
const pw = (id: string) => server.node.demoAgents.find((a) => a.id === id)!.password;

beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR, wsMaxViolations: 3 } });
});
afterAll(async () => {
  await server?.stop();
});

/** A user of the demo bot who asked for an agent; resolves once the console `s` shows the conversation waiting. */
async function userWaiting(s: KoreSocket): Promise<{ user: KoreSocket; waiting: Frame }> {
  const client = await KoreClient.login(server.url);
  const user = await client.connect();
  const before = new Set(s.ofType('queues').flatMap((f) => (f['waiting'] as Frame[]).map((w) => w['handoffId'])));
  await user.say('talk to an agent');
  await s.next((f) => f['type'] === 'queues' && (f['waiting'] as Frame[]).some((w) => !before.has(w['handoffId'])), 5000);
  return { user, waiting: waitingIn(s, (w) => !before.has(w['handoffId']))! };
}

describe('agent sign-in', () => {
  test('a wrong password and an unknown id get the same 401 BAD_CREDENTIALS; the right one a token', async () => {
    const wrong = await postJson(`${server.url}/api/agent/login`, { id: 'dana', password: 'not-it-at-all' });
    const unknown = await postJson(`${server.url}/api/agent/login`, { id: 'nobody-here', password: 'not-it-at-all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.errors[0].code).toBe('BAD_CREDENTIALS');
    const ok = await postJson(`${server.url}/api/agent/login`, { id: 'dana', password: pw('dana') });
    expect(ok.status).toBe(200);
    expect(ok.body.agent).toEqual({ id: 'dana', name: 'Dana', queues: ['it-support'], capacity: 3 });
    expect(ok.body.expiresAt).toBeGreaterThan(Date.now());
    expect(ok.body.token.split('.')).toHaveLength(3);
  });

  test('sign-in attempts are rate-limited per agent id', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await postJson(`${server.url}/api/agent/login`, { id: 'ratey', password: 'guess-number-' + i })).status);
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5)).toEqual([429, 429]);
  });

  test('a ticket needs an agent token; the socket needs a live, unused ticket', async () => {
    expect((await postJson(`${server.url}/api/agent/ticket`, {})).status).toBe(401);
    expect((await postJson(`${server.url}/api/agent/ticket`, {}, { authorization: 'Bearer nope' })).status).toBe(401);
    // A user's access token is not an agent token.
    const user = await KoreClient.login(server.url);
    expect((await postJson(`${server.url}/api/agent/ticket`, {}, { authorization: `Bearer ${user.accessToken}` })).status).toBe(401);
    await expect(KoreSocket.open(`${server.url.replace('http', 'ws')}/api/agent/ws?ticket=made-up`)).rejects.toMatchObject({ status: 401 });
    const dana = await AgentClient.login(server.url, 'dana', pw('dana'));
    const url = await dana.ticketUrl();
    const s = await KoreSocket.open(url);
    const hello = await s.next((f) => f['type'] === 'hello');
    expect(hello['agent']).toMatchObject({ id: 'dana', name: 'Dana' });
    await expect(KoreSocket.open(url)).rejects.toMatchObject({ status: 401 });
    await s.close();
  });

  test('setting an agent\'s password voids the tokens issued before it; signing in again gives a good one', async () => {
    // As `colloquy agent add` / `colloquy agent password` do: straight into the node's database while it runs.
    const cli = await openTenancy(server.config);
    try {
      const first = await hashPassword('first-password-1');
      await cli.desk.saveAgent({ id: 'rotating', name: 'Rota', passwordHash: first, queues: ['it-support'], capacity: 1, createdAt: Date.now() });
      const before = await AgentClient.login(server.url, 'rotating', 'first-password-1');
      expect((await postJson(`${server.url}/api/agent/ticket`, {}, { authorization: `Bearer ${before.token}` })).status).toBe(200);

      const account = (await cli.desk.agent('rotating'))!;
      await cli.desk.saveAgent({ ...account, passwordHash: await hashPassword('second-password-2') });
      const refused = await postJson(`${server.url}/api/agent/ticket`, {}, { authorization: `Bearer ${before.token}` });
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0]).toMatchObject({ code: 'AGENT_PASSWORD_CHANGED', msg: expect.stringContaining('password') });
      expect((await postJson(`${server.url}/api/agent/login`, { id: 'rotating', password: 'first-password-1' })).status).toBe(401);

      const after = await AgentClient.login(server.url, 'rotating', 'second-password-2');
      const s = await KoreSocket.open(await after.ticketUrl());
      expect((await s.next((f) => f['type'] === 'hello'))['agent']).toMatchObject({ id: 'rotating' });
      await s.close();
    } finally {
      await cli.close();
    }
  });
});

describe('the agent console protocol', () => {
  test('two agents race for one conversation: exactly one wins; then messages flow both ways', async () => {
    const dana = await (await AgentClient.login(server.url, 'dana', pw('dana'))).connect();
    const sam = await (await AgentClient.login(server.url, 'sam', pw('sam'))).connect();
    const { user, waiting } = await userWaiting(dana);
    expect(waiting).toMatchObject({ queue: 'it-support', reason: 'user asked for a human', position: 1 });
    await sam.next((f) => f['type'] === 'queues' && (f['waiting'] as Frame[]).some((w) => w['handoffId'] === waiting['handoffId']), 5000);
    // Routing offers it to exactly one of them.
    const offered = [dana, sam].map((s) => waitingIn(s, (w) => w['handoffId'] === waiting['handoffId'])!['offeredToYou']);
    expect(offered.filter(Boolean)).toHaveLength(1);

    const handoffId = waiting['handoffId'];
    dana.send({ type: 'accept', handoffId, ref: 'a1' });
    sam.send({ type: 'accept', handoffId, ref: 'a2' });
    const outcome = await Promise.all(
      [dana, sam].map((s) => s.next((f) => (f['type'] === 'chat' || f['type'] === 'error') && f['handoffId'] === handoffId, 5000)),
    );
    expect(outcome.map((f) => f['type']).sort()).toEqual(['chat', 'error']);
    const loser = outcome.find((f) => f['type'] === 'error')!;
    expect(loser['code']).toBe('HANDOFF_STATE_CONFLICT');
    const [agent, other] = outcome[0]!['type'] === 'chat' ? [dana, sam] : [sam, dana];
    const chat = outcome.find((f) => f['type'] === 'chat')!;
    expect(chat).toMatchObject({ queue: 'it-support', reason: 'user asked for a human' });
    expect((chat['transcript'] as Frame[]).some((e) => e['text'] === 'talk to an agent' && e['from']['role'] === 'user')).toBe(true);

    // Agent → user.
    agent.send({ type: 'send', handoffId, text: 'Hi, this is IT support.', clientId: 'c-1' });
    await agent.next((f) => f['type'] === 'ack' && f['clientId'] === 'c-1');
    await user.next((f) => f['type'] === 'bot_response' && JSON.stringify(f).includes('Hi, this is IT support.'), 5000);
    // User → agent: an entry routed to the agent.
    await user.ws.send(JSON.stringify(user.client!.message('my laptop is on fire')));
    const said = await agent.next((f) => f['type'] === 'entry' && f['text'] === 'my laptop is on fire', 5000);
    expect(said).toMatchObject({ handoffId, from: { role: 'user' }, routed: 'agent' });
    expect(other.frames.some((f) => f['type'] === 'entry')).toBe(false);

    // The user leaves: the console is told why.
    user.send(user.client!.message('exit'));
    await agent.next((f) => f['type'] === 'ended' && f['handoffId'] === handoffId && f['reason'] === 'userExit', 5000);
    await Promise.all([dana.close(), sam.close(), user.close()]);
  });

  test('reconnect + resume: what happened meanwhile arrives once, in order; a re-sent message is not doubled', async () => {
    const client = await AgentClient.login(server.url, 'sam', pw('sam'));
    const first = await client.connect();
    const { user, waiting } = await userWaiting(first);
    const handoffId = waiting['handoffId'];
    first.send({ type: 'accept', handoffId });
    const chat = await first.next((f) => f['type'] === 'chat' && f['handoffId'] === handoffId, 5000);
    first.send({ type: 'send', handoffId, text: 'one moment please', clientId: 'r-1' });
    await first.next((f) => f['type'] === 'entry' && f['clientId'] === 'r-1', 5000);
    const seen = Math.max(chat['headSeq'], ...first.ofType('entry').map((f) => f['seq']));
    await first.close();

    // While the console is away the user says two things.
    for (const text of ['still there?', 'hello?']) {
      const m = user.client!.message(text);
      user.send(m);
      await user.next((f) => f['type'] === 'ack' && f['replyto'] === m['clientMessageId']);
    }
    const second = await client.connect(null);
    const hello = second.frames.find((f) => f['type'] === 'hello')!;
    expect((hello['chats'] as Frame[]).map((c) => c['handoffId'])).toContain(handoffId);
    second.send({ type: 'resume', chats: [{ handoffId, conversationId: chat['conversationId'], afterSeq: seen }] });
    await second.next((f) => f['type'] === 'entry' && f['text'] === 'hello?', 5000);
    // The un-acked send is re-sent with the same client id: acknowledged as the stored one, not stored again.
    second.send({ type: 'send', handoffId, text: 'one moment please', clientId: 'r-1' });
    const ack = await second.next((f) => f['type'] === 'ack' && f['clientId'] === 'r-1', 5000);
    expect(ack['seq']).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const entries = second.ofType('entry').filter((f) => f['handoffId'] === handoffId);
    const seqs = entries.map((f) => f['seq']);
    expect(seqs[0]).toBe(seen + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    expect(entries.filter((f) => f['text'] === 'one moment please')).toHaveLength(0);
    expect(second.ofType('chat')).toHaveLength(0);

    second.send({ type: 'close', handoffId });
    await second.next((f) => f['type'] === 'ended' && f['handoffId'] === handoffId && f['reason'] === 'agentCompleted', 5000);
    await Promise.all([second.close(), user.close()]);
  });

  test('bad frames get error frames (with their ref); too many close the socket with 1002', async () => {
    const s = await (await AgentClient.login(server.url, 'dana', pw('dana'))).connect();
    s.send('not json');
    s.send({ type: 'accept', ref: 7 });
    s.send({ type: 'fly', ref: 'x' });
    const errors = await s.next(() => s.ofType('error').length >= 3, 3000).then(() => s.ofType('error'));
    expect(errors.map((e) => e['code'])).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME']);
    expect(errors[1]!['ref']).toBe(7);
    expect(errors[2]!['ref']).toBe('x');
    // A desk refusal is an error frame, not a violation.
    s.send({ type: 'accept', handoffId: 'h-nothing', ref: 'n' });
    expect((await s.next((f) => f['type'] === 'error' && f['ref'] === 'n'))['code']).toBe('HANDOFF_NOT_FOUND');
    s.send('{"type":"status","status":"sleeping"}');
    const closed = await s.closed;
    expect(closed.code).toBe(1002);
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
  });
});
