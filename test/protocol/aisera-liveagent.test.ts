/**
 * The live-agent family over the Aisera protocol, black-box with raw WebSockets: the user's exact `modeType`
 * sequence from "talk to an agent" on the demo helpdesk bot (queue `it-support`) to the bot answering again,
 * the agent side with agent tokens (new handoffs, pick-up with the transcript, messages both ways, typing,
 * a second agent's 409, transfer, the user's exit), and REST `POST /api/liveagent/events`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, request, rest, texts, uniqueUser, userToken, type Frame } from '../support/aisera-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR, rateLimitBurst: 1000, rateLimitPerSec: 500 } });
});
afterAll(async () => {
  await server.stop();
});

export const ASK = 'i want to talk to someone from it';
const user = (userId = uniqueUser()) => ({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID });
type Who = { token: string; userId: string; channelId: string };

async function agentToken(baseUrl: string, agentId: string): Promise<Who> {
  const token = await userToken(baseUrl, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, agentId, { scope: 'agent', userFullName: `Agent ${agentId}` });
  return { token, userId: agentId, channelId: DEMO_CHANNEL_ID };
}

/** An agent's socket after its desk request (`needsSessionHistory`): it hears of new handoffs from now on. */
async function agentSocket(agentId: string): Promise<{ c: RawClient; who: Who }> {
  const who = await agentToken(server.url, agentId);
  const c = await RawClient.connect(server.url);
  const [desk] = await c.ask(request(who, { needsSessionHistory: true }));
  expect(desk).toMatchObject({ final: true, userId: agentId, handoffs: expect.any(Array) });
  return { c, who };
}

const waitingFor = (c: RawClient, handoffId: string, from = 0) =>
  c.next((f) => f['modeType'] === 'LiveAgentWaiting' && f['liveAgent']?.['handoffId'] === handoffId, 5000, from);

describe('a handoff on the Aisera wire', () => {
  test('waiting, pick-up (one agent only), typing, messages both ways, transfer, the user\'s exit: the exact modeType sequence', async () => {
    const { c: a, who: aw } = await agentSocket(`agent-a-${uniqueUser()}`);
    const { c: b, who: bw } = await agentSocket(`agent-b-${uniqueUser()}`);
    const u = await RawClient.connect(server.url);
    const me = user();

    // The ask: one frame, the bot's "connecting you" text in a LiveAgentWaiting, with the request's reqId.
    const asked = await u.ask(request(me, { text: ASK, reqId: 'ask-1' }));
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ reqId: 'ask-1', final: true, modeType: 'LiveAgentWaiting', liveAgent: { state: 'waiting', queue: { id: 'it-support' } } });
    expect(texts(asked)[0]).toMatch(/connecting you with a human agent/);
    const handoffId = asked[0]!['liveAgent']['handoffId'] as string;
    expect(handoffId).toMatch(/^h-/);

    // The sweep tells the waiting user their place (at once, then at most every handoffUpdateEverySec).
    const place = await u.next((f) => f['modeType'] === 'LiveAgentWaitingUpdate');
    expect(place).toMatchObject({ reqId: null, liveAgent: { handoffId, state: 'waiting', queue: { id: 'it-support', position: expect.any(Number), etaSec: expect.any(Number) } } });

    // While waiting, a message is queued for the agent: LiveAgentWaiting delivered:false, queued:true.
    const queued = await u.ask(request(me, { text: 'is anyone there?', reqId: 'q-1' }));
    expect(queued).toEqual([expect.objectContaining({ reqId: 'q-1', final: true, modeType: 'LiveAgentWaiting', answers: [], liveAgent: { handoffId, state: 'waiting', queue: { id: 'it-support' }, delivered: false, queued: true } })]);

    // Both agents hear of it, with the user, the queue and the transcript.
    const told = await waitingFor(a, handoffId);
    expect(told).toMatchObject({ reqId: null, userId: aw.userId, liveAgent: { handoffId, state: 'waiting', queue: { id: 'it-support' }, reason: 'user asked for a human' }, user: { id: expect.stringMatching(/^u-/) } });
    expect((told['transcript'] as Frame[]).map((t) => t['text'])).toContain(ASK);
    await waitingFor(b, handoffId);

    // A picks it up: the transcript and initMsg to A, LiveAgentJoined to the user; B is too late (409).
    const [picked] = await a.ask(request(aw, { type: 'LiveAgentPickUp', handoffId, agent: { id: aw.userId, name: 'Dana' } }));
    expect(picked).toMatchObject({ final: true, liveAgent: { handoffId, state: 'connected', agent: { id: aw.userId, name: 'Dana' } }, initMsg: 'is anyone there?' });
    expect((picked!['transcript'] as Frame[]).filter((t) => t['role'] === 'user').map((t) => t['text'])).toEqual([ASK, 'is anyone there?']);
    const joined = await u.next((f) => f['modeType'] === 'LiveAgentJoined');
    expect(joined).toMatchObject({ reqId: null, liveAgent: { handoffId, state: 'connected', agent: { id: aw.userId, name: 'Dana' } } });
    const [late] = await b.ask(request(bw, { type: 'LiveAgentPickUp', handoffId }));
    expect(late).toMatchObject({ modeType: 'Error', code: 409, errorCode: 'HANDOFF_STATE_CONFLICT' });

    // Typing, then the agent's message.
    await a.ask(request(aw, { type: 'LiveAgentTyping', handoffId, typing: true }));
    expect(await u.next((f) => f['modeType'] === 'LiveAgentTyping')).toMatchObject({ reqId: null, liveAgent: { handoffId, typing: true } });
    const [said] = await a.ask(request(aw, { handoffId, text: 'Hi, Dana from IT here.' }));
    expect(said).toMatchObject({ final: true, liveAgent: { handoffId, delivered: true } });
    const agentMsg = await u.next((f) => f['modeType'] === 'LiveAgent' && f['from'] === 'agent');
    expect(agentMsg).toMatchObject({ reqId: null, liveAgent: { handoffId, agent: { id: aw.userId, name: 'Dana' } } });
    expect(texts([agentMsg])).toEqual(['Hi, Dana from IT here.']);
    // Only the owner may talk in it.
    const [intruder] = await b.ask(request(bw, { handoffId, text: 'me too' }));
    expect(intruder).toMatchObject({ code: 409, errorCode: 'HANDOFF_STATE_CONFLICT' });

    // The user's message: acked LiveAgent delivered:true, relayed to the agent as from:"user".
    const mark = a.frames.length;
    const acked = await u.ask(request(me, { text: 'my vpn drops every hour', reqId: 'm-1' }));
    expect(acked).toEqual([expect.objectContaining({ reqId: 'm-1', final: true, modeType: 'LiveAgent', answers: [], liveAgent: expect.objectContaining({ handoffId, delivered: true }) })]);
    const relayed = await a.next((f) => f['modeType'] === 'LiveAgent' && f['from'] === 'user', 5000, mark);
    expect(relayed).toMatchObject({ reqId: null, userId: aw.userId, liveAgent: { handoffId } });
    expect(texts([relayed])).toEqual(['my vpn drops every hour']);

    // A transfers to another queue with a note: the user is told (exited: transferred, then waiting again); B hears of the new wait.
    const markB = b.frames.length;
    const [moved] = await a.ask(request(aw, { type: 'LiveAgentTransfer', handoffId, target: { queueId: 'network' }, note: 'VPN, hourly drops' }));
    expect(moved).toMatchObject({ final: true, liveAgent: { handoffId, state: 'waiting', queue: { id: 'network' } } });
    expect(await a.next((f) => f['modeType'] === 'LiveAgentExited', 5000, mark)).toMatchObject({ liveAgent: { handoffId, reason: 'transferred' } });
    const again = await waitingFor(b, handoffId, markB);
    expect(again).toMatchObject({ liveAgent: { queue: { id: 'network' }, note: 'VPN, hourly drops' } });
    const rewait = await u.next((f) => f['modeType'] === 'LiveAgentWaiting' && f['liveAgent']['transferred'] === true);
    const placeMark = u.frames.indexOf(rewait);
    expect(await u.next((f) => f['modeType'] === 'LiveAgentWaitingUpdate', 5000, placeMark)).toMatchObject({ liveAgent: { queue: { id: 'network', position: 1 } } });
    const [bPicked] = await b.ask(request(bw, { type: 'LiveAgentPickUp', handoffId }));
    expect(bPicked).toMatchObject({ liveAgent: { state: 'connected' } });
    await u.next((f) => f['modeType'] === 'LiveAgentJoined' && f['liveAgent']['agent']['id'] === bw.userId);

    // The user leaves: LiveAgentExited userExit with the exit's reqId, the agent is told, and the bot answers again.
    const markB2 = b.frames.length;
    const left = await u.ask(request(me, { text: 'exit', reqId: 'x-1' }));
    expect(left[0]).toMatchObject({ reqId: 'x-1', modeType: 'LiveAgentExited', liveAgent: { handoffId, state: 'ended', reason: 'userExit' } });
    expect(await b.next((f) => f['modeType'] === 'LiveAgentExited', 5000, markB2)).toMatchObject({ liveAgent: { handoffId, reason: 'userExit' } });
    const back = await u.ask(request(me, { text: 'hello', reqId: 'h-1' }));
    expect(back.every((f) => !String(f['modeType'] ?? '').startsWith('LiveAgent'))).toBe(true);
    expect(texts(back).length).toBeGreaterThan(0);

    // Everything the user's socket got, in order.
    expect(u.frames.map((f) => f['modeType'] ?? null)).toEqual([
      'LiveAgentWaiting', // the ask (with the bot's text)
      'LiveAgentWaitingUpdate', // place in the queue
      'LiveAgentWaiting', // the queued message's ack
      'LiveAgentJoined',
      'LiveAgentTyping',
      'LiveAgent', // Dana's message
      'LiveAgent', // the ack of the user's message
      'LiveAgentExited', // transferred
      'LiveAgentWaiting', // waiting again (network)
      'LiveAgentWaitingUpdate',
      'LiveAgentJoined', // B
      'LiveAgentExited', // userExit
      ...left.slice(1).map((f) => f['modeType'] ?? null),
      ...back.map((f) => f['modeType'] ?? null),
    ]);
    for (const c of [a, b, u]) c.close();
  });

  test('LiveAgentCompleted: the user is told agentCompleted and the bot answers again', async () => {
    const { c: a, who: aw } = await agentSocket(`agent-c-${uniqueUser()}`);
    const u = await RawClient.connect(server.url);
    const me = user();
    const handoffId = (await u.ask(request(me, { text: ASK })))[0]!['liveAgent']['handoffId'] as string;
    await waitingFor(a, handoffId);
    await a.ask(request(aw, { type: 'LiveAgentPickUp', handoffId }));
    const [done] = await a.ask(request(aw, { type: 'LiveAgentCompleted', handoffId }));
    expect(done).toMatchObject({ final: true, liveAgent: { handoffId, state: 'ended', reason: 'agentCompleted' } });
    expect(await u.next((f) => f['modeType'] === 'LiveAgentExited')).toMatchObject({ reqId: null, liveAgent: { handoffId, reason: 'agentCompleted' } });
    const [again] = await a.ask(request(aw, { type: 'LiveAgentCompleted', handoffId }));
    expect(again).toMatchObject({ code: 404, errorCode: 'HANDOFF_NOT_FOUND' });
    a.close();
    u.close();
  });

  test('REST POST /api/liveagent/events: the same envelope for connectors, agent tokens only', async () => {
    const u = await RawClient.connect(server.url);
    const me = user();
    const handoffId = (await u.ask(request(me, { text: ASK })))[0]!['liveAgent']['handoffId'] as string;
    const cc = await agentToken(server.url, `connector-${uniqueUser()}`);
    const events = (body: Frame) => rest(server.url, body, {}, '/api/liveagent/events');

    const pick = await events(request(cc, { type: 'LiveAgentPickUp', handoffId, agent: { id: cc.userId, name: 'Contact centre' } }));
    expect(pick.status).toBe(200);
    expect(pick.body['responses'][0]).toMatchObject({ final: true, liveAgent: { handoffId, state: 'connected' }, initMsg: ASK });
    await u.next((f) => f['modeType'] === 'LiveAgentJoined');
    const say = await events(request(cc, { handoffId, text: 'Hello from the contact centre' }));
    expect(say.status).toBe(200);
    expect(texts([await u.next((f) => f['modeType'] === 'LiveAgent' && f['from'] === 'agent')])).toEqual(['Hello from the contact centre']);
    const conflict = await events(request(cc, { type: 'LiveAgentPickUp', handoffId }));
    expect(conflict).toMatchObject({ status: 409, body: { errorCode: 'HANDOFF_STATE_CONFLICT' } });
    // A channel key or a user token may not call it.
    const byKey = await events(request(me, { type: 'LiveAgentCompleted', handoffId }));
    expect(byKey).toMatchObject({ status: 403, body: { errorCode: 'FORBIDDEN_REQUEST_TYPE' } });
    const done = await events(request(cc, { type: 'LiveAgentCompleted', handoffId }));
    expect(done.status).toBe(200);
    expect(await u.next((f) => f['modeType'] === 'LiveAgentExited')).toMatchObject({ liveAgent: { reason: 'agentCompleted' } });
    u.close();
  });

  test('agent-side errors: an end user\'s LiveAgentPickUp is 403; an unknown handoff 404; a missing handoffId 400', async () => {
    const c = await RawClient.connect(server.url);
    const userId = uniqueUser();
    const token = await userToken(server.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, userId);
    const [f] = await c.ask(request({ token, userId, channelId: DEMO_CHANNEL_ID }, { type: 'LiveAgentPickUp', handoffId: 'h-whatever' }));
    expect(f).toMatchObject({ modeType: 'Error', code: 403, errorCode: 'FORBIDDEN_REQUEST_TYPE' });
    const aw = await agentToken(server.url, 'agent-errors');
    expect((await c.ask(request(aw, { type: 'LiveAgentPickUp', handoffId: 'h-nope' })))[0]).toMatchObject({ code: 404, errorCode: 'HANDOFF_NOT_FOUND' });
    expect((await c.ask(request(aw, { type: 'LiveAgentPickUp' })))[0]).toMatchObject({ code: 400, errorCode: 'INVALID_REQUEST' });
    expect((await c.ask(request({ ...aw, userId: 'someone-else' }, { type: 'LiveAgentPickUp', handoffId: 'h-nope' })))[0]).toMatchObject({ code: 403, errorCode: 'IDENTITY_MISMATCH' });
    c.close();
  });
});
