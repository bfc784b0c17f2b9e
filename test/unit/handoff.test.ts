/**
 * Live-agent handoff, script by script: every transition of `bot → queued → agent → bot`, the races, and
 * every timeout, on the memory ports with a hand-driven clock (src/core/handoff).
 */
import { describe, expect, test } from 'vitest';
import { ConversationService, type TurnContext } from '../../src/core/conversation/service.js';
import { CoreError } from '../../src/core/errors.js';
import { Hub } from '../../src/core/fanout/hub.js';
import { HandoffDesk, type DeskSettings } from '../../src/core/handoff/desk.js';
import { assign, etaSec, positions } from '../../src/core/handoff/routing.js';
import type { ConversationRef, Entry } from '../../src/core/model.js';
import { MemoryBus } from '../../src/core/memory/bus.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemoryDeskStore } from '../../src/core/memory/desk-store.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import type { BotTurnInput, BotTurnOutput } from '../../src/core/ports/bot.js';
import type { HandoffRecord } from '../../src/core/ports/desk-store.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { describeEntry } from './support/conversation.js';

const DANA = { id: 'ag-dana', name: 'Dana' };
const SAM = { id: 'ag-sam', name: 'Sam' };
const MIN = 60_000;

/** A bot that hands over on "agent", answers "echo: …" otherwise, and says what it was told after a handoff. */
function bot(input: BotTurnInput): BotTurnOutput {
  const t = input.trigger;
  if (t.type === 'connect') return { outputs: [], dialog: input.dialog };
  if (t.type === 'handoff_ended') return { outputs: [{ kind: 'message', content: { type: 'text', text: `bot back (${t.reason})` } }], dialog: input.dialog };
  if (t.input.text === 'agent') {
    return {
      outputs: [
        { kind: 'message', content: { type: 'text', text: 'connecting you' } },
        { kind: 'event', name: 'handoff_requested', detail: { handoff: { queue: 'it', reason: 'user asked' } } },
      ],
      dialog: input.dialog,
    };
  }
  return { outputs: [{ kind: 'message', content: { type: 'text', text: `echo: ${t.input.text}` } }], dialog: input.dialog };
}

function setup(settings: Partial<DeskSettings> = {}, users = 1) {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryStore();
  const sequencer = new MemorySequencer();
  const hub = new Hub('n-1', store, new MemoryBus({ shared: true }), silentLogger);
  const deskStore = new MemoryDeskStore();
  const turns: BotTurnInput[] = [];
  const service = new ConversationService(
    { store, sequencer, hub, clock, log: silentLogger, desk: deskStore, botFor: () => ({ turn: async (i) => (turns.push(i), bot(i)) }) },
    { idleTimeoutMs: 60 * MIN },
  );
  const desk = new HandoffDesk({ service, store, desk: deskStore, clock, log: silentLogger }, settings);
  const conversations: ConversationRef[] = Array.from({ length: users }, (_, i) => ({ id: `c-${i + 1}`, botId: 'st-1', userId: `u-${i + 1}` }));
  const ctx = (i = 0): TurnContext => ({ conversation: conversations[i]!, deviceId: `d-${i + 1}` });
  const send = (text: string, i = 0) => service.receive(ctx(i), { text }, undefined, () => {});
  const log = async (i = 0) => (await store.readSince(conversations[i]!.id, 0, 1000)).map(line);
  const state = async (i = 0) => (await store.getState(conversations[i]!.id)).value;
  /** The handoff id of user `i`'s open handoff. */
  const handoffId = async (i = 0) => (await state(i)).handoff!.id;
  return { clock, store, service, desk, deskStore, turns, send, log, state, handoffId, conversations };
}

/** `describeEntry`, with handoff details that matter here. */
function line(e: Entry): string {
  const b = e.body;
  if (b.kind === 'event') {
    const h = b.detail?.handoff;
    if (b.name === 'agent_session_end') return `agent_session_end(${h?.ended})`;
    if (b.name === 'agent_session_start') return `agent_session_start(${h?.agent?.name})`;
    if (b.name === 'handoff_waiting') return `handoff_waiting(${h?.position}, ${h?.etaSec}s)`;
    if (b.name === 'agent_typing') return `agent_typing(${h?.typing})`;
    if (b.name === 'handoff_queued') return `handoff_queued(${h?.queue}${h?.agent ? `, for ${h.agent.name}` : ''}${h?.note ? `, "${h.note}"` : ''})`;
  }
  if (b.kind === 'user_message' && b.routed) return `user→${b.routed}:${b.input.text}`;
  if (b.kind === 'bot_message' && e.from.role === 'agent') return `agent ${e.from.id}:${b.content.type === 'text' ? b.content.text : b.content.type}`;
  return describeEntry(e);
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err instanceof CoreError ? err.code : String(err);
  }
  return 'no error';
};

describe('bot → queued → agent → bot', () => {
  test("the bot's ask queues the conversation; while humans own it the bot is silent", async () => {
    const t = setup();
    await t.send('agent');
    await t.send('anyone there?');
    expect(await t.log()).toEqual(['session_start', 'user:agent', 'bot:connecting you', 'handoff_requested', 'handoff_queued(it)', 'user→queue:anyone there?']);
    expect(t.turns.filter((i) => i.trigger.type === 'message')).toHaveLength(1);
    const [r] = await t.desk.open();
    expect(r).toMatchObject({ status: 'queued', queue: 'it', reason: 'user asked', conversation: t.conversations[0] });
  });

  test('an agent picks up (transcript included), they talk both ways, the agent completes; the bot answers again', async () => {
    const t = setup();
    await t.send('hello');
    await t.send('agent');
    const id = await t.handoffId();
    const picked = await t.desk.pickUp(DANA, id, 3);
    expect(picked.transcript.map(line)).toEqual(['user:hello', 'bot:echo: hello', 'user:agent', 'bot:connecting you']);
    expect(picked.handoff).toMatchObject({ status: 'agent', agent: DANA, reason: 'user asked' });
    await t.desk.say(DANA, id, 'Hi, Dana here');
    await t.send('my vpn is down');
    await t.desk.typing(DANA, id, true);
    await t.desk.complete(DANA, id);
    await t.send('thanks');
    expect((await t.log()).slice(7)).toEqual([
      'agent_session_start(Dana)',
      'agent ag-dana:Hi, Dana here',
      'user→agent:my vpn is down',
      'agent_typing(true)',
      'agent_session_end(agentCompleted)',
      'bot:bot back (agentCompleted)',
      'user:thanks',
      'bot:echo: thanks',
    ]);
    expect((await t.state()).handoff).toBeUndefined();
    expect(await t.desk.open()).toEqual([]);
  });

  test('two agents racing for one conversation: exactly one wins, the other gets HANDOFF_STATE_CONFLICT', async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    const results = await Promise.allSettled([t.desk.pickUp(DANA, id), t.desk.pickUp(SAM, id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as CoreError).code).toBe('HANDOFF_STATE_CONFLICT');
    expect((await t.log()).filter((l) => l.startsWith('agent_session_start'))).toHaveLength(1);
  });

  test('only the owner may speak, type, transfer; unknown handoffs are HANDOFF_NOT_FOUND', async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    expect(await code(t.desk.say(DANA, id, 'too early'))).toBe('HANDOFF_STATE_CONFLICT');
    await t.desk.pickUp(DANA, id);
    expect(await code(t.desk.say(SAM, id, 'not mine'))).toBe('HANDOFF_STATE_CONFLICT');
    expect(await code(t.desk.typing(SAM, id, true))).toBe('HANDOFF_STATE_CONFLICT');
    expect(await code(t.desk.transfer(SAM, id, { queue: 'hr' }))).toBe('HANDOFF_STATE_CONFLICT');
    expect(await code(t.desk.complete(SAM, id))).toBe('HANDOFF_STATE_CONFLICT');
    expect(await code(t.desk.say(DANA, 'h-nope', 'x'))).toBe('HANDOFF_NOT_FOUND');
    expect(await code(t.desk.say(DANA, id, '   '))).toBe('INVALID_REQUEST');
  });

  test("an agent's re-sent message (same client id, e.g. after a reconnect) is stored once", async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    const first = await t.desk.say(DANA, id, 'one moment', 'c-1');
    const again = await t.desk.say(DANA, id, 'one moment', 'c-1');
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true });
    expect((await t.log()).filter((l) => l === 'agent ag-dana:one moment')).toHaveLength(1);
  });

  test('capacity: an agent holding as many chats as allowed cannot pick up another', async () => {
    const t = setup({}, 2);
    await t.send('agent', 0);
    await t.send('agent', 1);
    await t.desk.pickUp(DANA, await t.handoffId(0), 1);
    expect(await code(t.desk.pickUp(DANA, await t.handoffId(1), 1))).toBe('AGENT_AT_CAPACITY');
    await t.desk.pickUp(SAM, await t.handoffId(1), 1);
  });
});

describe('transfer', () => {
  test('to another agent with a note: only that agent may pick it up; the note travels with it', async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    await t.desk.transfer(DANA, id, { agent: SAM }, 'needs a VPN admin');
    expect((await t.log()).slice(-2)).toEqual(['agent_session_end(transferred)', 'handoff_queued(it, for Sam, "needs a VPN admin")']);
    expect(await t.desk.record(id)).toMatchObject({ status: 'queued', agentId: 'ag-sam', note: 'needs a VPN admin' });
    expect(await code(t.desk.pickUp({ id: 'ag-kim', name: 'Kim' }, id))).toBe('HANDOFF_STATE_CONFLICT');
    await t.desk.pickUp(SAM, id);
    await t.send('hi sam');
    expect((await t.log()).slice(-2)).toEqual(['agent_session_start(Sam)', 'user→agent:hi sam']);
    expect(t.turns.filter((i) => i.trigger.type === 'handoff_ended')).toHaveLength(0);
  });

  test('to another queue: the conversation waits there, from the time of the transfer', async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    t.clock.advance(MIN);
    await t.desk.transfer(DANA, id, { queue: 'network' });
    expect(await t.desk.record(id)).toMatchObject({ status: 'queued', queue: 'network', queuedAt: t.clock.now() });
    expect(await t.log()).toContain('handoff_queued(network)');
    expect(await code(t.desk.transfer(DANA, id, { queue: 'it' }))).toBe('HANDOFF_STATE_CONFLICT');
    expect(await code(t.desk.transfer(SAM, id, {}))).toBe('INVALID_REQUEST');
  });
});

describe('the user leaves', () => {
  for (const word of ['exit', 'Cancel', 'quit.']) {
    test(`"${word}" while waiting leaves the queue; the bot answers again`, async () => {
      const t = setup();
      await t.send('agent');
      await t.send(word);
      expect((await t.log()).slice(-3)).toEqual([`user→queue:${word}`, 'agent_session_end(userExit)', 'bot:bot back (userExit)']);
      expect(await t.desk.open()).toEqual([]);
    });
  }

  test('"exit" in an agent chat ends it; the agent can no longer speak', async () => {
    const t = setup();
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    await t.send('exit');
    expect((await t.log()).slice(-3)).toEqual(['user→agent:exit', 'agent_session_end(userExit)', 'bot:bot back (userExit)']);
    expect(await code(t.desk.say(DANA, id, 'hello?'))).toBe('HANDOFF_NOT_FOUND');
  });

  test('the session ending (closed by the user) ends the handoff with it', async () => {
    const t = setup();
    await t.send('agent');
    await t.service.closeSession({ conversation: t.conversations[0]!, deviceId: 'd-1' });
    expect((await t.log()).slice(-2)).toEqual(['agent_session_end(sessionEnded)', 'session_end(closed)']);
    expect(await t.desk.open()).toEqual([]);
  });
});

describe('timeouts and queue updates (the sweep)', () => {
  test('no agent within the queue timeout: the handoff ends (noAgentAvailable) and the bot offers its fallback', async () => {
    const t = setup({ timeouts: { queueMs: 5 * MIN, userIdleMs: 0, agentIdleMs: 0 } });
    await t.send('agent');
    t.clock.advance(5 * MIN - 1);
    await t.desk.sweep();
    expect((await t.state()).handoff).toBeDefined();
    t.clock.advance(1);
    await t.desk.sweep();
    expect((await t.log()).slice(-2)).toEqual(['agent_session_end(noAgentAvailable)', 'bot:bot back (noAgentAvailable)']);
    await t.desk.sweep();
    expect((await t.log()).filter((l) => l.startsWith('agent_session_end'))).toHaveLength(1);
  });

  test('the user idle in an agent chat ends it (userIdle), without a bot message', async () => {
    const t = setup({ timeouts: { queueMs: 0, userIdleMs: 30 * MIN, agentIdleMs: 0 } });
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    t.clock.advance(20 * MIN);
    await t.send('still here');
    t.clock.advance(29 * MIN);
    await t.desk.sweep();
    expect((await t.state()).handoff?.status).toBe('agent');
    t.clock.advance(MIN);
    await t.desk.sweep();
    expect((await t.log()).slice(-1)).toEqual(['agent_session_end(userIdle)']);
  });

  test('the agent idle (when configured) ends the chat (agentIdle); an agent message restarts the clock', async () => {
    const t = setup({ timeouts: { queueMs: 0, userIdleMs: 0, agentIdleMs: 10 * MIN } });
    await t.send('agent');
    const id = await t.handoffId();
    await t.desk.pickUp(DANA, id);
    t.clock.advance(9 * MIN);
    await t.desk.say(DANA, id, 'checking');
    t.clock.advance(9 * MIN);
    await t.desk.sweep();
    expect((await t.state()).handoff).toBeDefined();
    t.clock.advance(MIN);
    await t.desk.sweep();
    expect((await t.log()).slice(-2)).toEqual(['agent_session_end(agentIdle)', 'bot:bot back (agentIdle)']);
  });

  test('waiting users are told their place and wait, only when it changes and at most every updateEveryMs', async () => {
    const t = setup({ updateEveryMs: 10_000, fallbackEtaSec: 60, timeouts: { queueMs: 0, userIdleMs: 0, agentIdleMs: 0 } }, 3);
    for (const i of [0, 1, 2]) {
      await t.send('agent', i);
      t.clock.advance(1000);
    }
    await t.desk.sweep();
    expect((await t.log(2)).slice(-1)).toEqual(['handoff_waiting(3, 180s)']);
    await t.desk.sweep();
    expect((await t.log(2)).filter((l) => l.startsWith('handoff_waiting'))).toHaveLength(1);
    // Dana takes the first after 2 s of waiting: the others move up, but not before 10 s have passed.
    await t.desk.pickUp(DANA, await t.handoffId(0));
    await t.desk.sweep();
    expect((await t.log(2)).filter((l) => l.startsWith('handoff_waiting'))).toHaveLength(1);
    t.clock.advance(10_000);
    await t.desk.sweep();
    expect((await t.log(2)).slice(-1)).toEqual([`handoff_waiting(2, ${etaSec(2, await t.desk.open(), 60)}s)`]);
    expect((await t.log(1)).slice(-1)).toEqual([`handoff_waiting(1, ${etaSec(1, await t.desk.open(), 60)}s)`]);
  });

  test('an index record the conversation no longer has is dropped by the sweep', async () => {
    const t = setup();
    await t.deskStore.putHandoff({ handoffId: 'h-stale', conversation: t.conversations[0]!, queue: 'it', status: 'queued', requestedAt: 1, queuedAt: 1 });
    await t.desk.sweep();
    expect(await t.deskStore.handoff('h-stale')).toBeNull();
  });
});

describe('routing (pure)', () => {
  const rec = (id: string, queuedAt: number, over: Partial<HandoffRecord> = {}): HandoffRecord => ({
    handoffId: id,
    conversation: { id: `c-${id}`, botId: 'st-1', userId: 'u' },
    queue: 'it',
    status: 'queued',
    requestedAt: queuedAt,
    queuedAt,
    ...over,
  });
  const agent = (agentId: string, over: Partial<{ status: 'available' | 'busy' | 'away'; queues: string[]; capacity: number }> = {}) => ({
    agentId,
    status: 'available' as const,
    queues: ['it'],
    capacity: 2,
    ...over,
  });

  test('the longest-waiting conversation goes to the least-busy available agent of its queue', () => {
    const open = [rec('h-old', 1), rec('h-new', 2), rec('h-held', 0, { status: 'agent', agentId: 'ag-a' })];
    const offers = assign(open, [agent('ag-a'), agent('ag-b')]);
    expect([...offers]).toEqual([
      ['h-old', 'ag-b'],
      ['h-new', 'ag-a'],
    ]);
  });

  test('capacity, status and queues are respected; a transfer to one agent goes only to that agent', () => {
    const open = [rec('h-1', 1), rec('h-2', 2, { queue: 'hr' }), rec('h-3', 3, { agentId: 'ag-c' }), rec('h-4', 4)];
    const offers = assign(open, [agent('ag-a', { capacity: 1 }), agent('ag-b', { status: 'away' }), agent('ag-c', { queues: ['hr'] })]);
    expect(Object.fromEntries(offers)).toEqual({ 'h-1': 'ag-a', 'h-2': 'ag-c', 'h-3': 'ag-c' });
  });

  test('positions are per queue, in waiting order; the estimate uses how long pick-ups took', () => {
    const open = [rec('h-1', 1), rec('h-2', 2, { queue: 'hr' }), rec('h-3', 3)];
    expect(Object.fromEntries(positions(open))).toEqual({ 'h-1': 1, 'h-2': 1, 'h-3': 2 });
    expect(etaSec(2, open, 45)).toBe(90);
    const held = [...open, rec('h-0', 0, { status: 'agent', agentId: 'a', joinedAt: 30_000 })];
    expect(etaSec(2, held, 45)).toBe(60);
  });
});
