/**
 * The engine inside the conversation service: turns are inline (one append) unless they reach an HTTP
 * node, which then runs after the user's message is stored and acknowledged; the dialog state lives in
 * the conversation's state row, so another node (another engine, same store) continues the conversation;
 * sessions scope session variables and flows, user variables outlive them; the state stays small.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConversationService } from '../../src/core/conversation/service.js';
import { Hub } from '../../src/core/fanout/hub.js';
import type { ConversationRef, Entry, NewEntry } from '../../src/core/model.js';
import { MemoryBus } from '../../src/core/memory/bus.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import type { AppendOptions } from '../../src/core/ports/store.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { loadBotDefinition } from '../../src/dialog/definition/load.js';
import { DialogEngine } from '../../src/dialog/engine.js';
import { chat, fixture, HELPDESK, KORE, MONDAY } from './support/chat.js';
import { startTicketServer, type TestHttpServer } from './support/ticket-server.js';

/** The memory store, with every append recorded (what the core wrote, in which append). */
class RecordingStore extends MemoryStore {
  readonly appends: string[][] = [];
  override async append(ref: ConversationRef, entries: readonly NewEntry[], options?: AppendOptions) {
    this.appends.push(entries.map((e) => (e.body.kind === 'event' ? e.body.name : e.body.kind)));
    return super.append(ref, entries, options);
  }
}

let tickets: TestHttpServer;
const clock = new ManualClock(MONDAY);
beforeAll(async () => {
  tickets = await startTicketServer(clock);
});
afterAll(() => tickets.close());

function node(store: MemoryStore, sequencer: MemorySequencer) {
  const engine = new DialogEngine(loadBotDefinition(HELPDESK), {
    clock,
    log: silentLogger,
    secrets: { HELPDESK_TOKEN: tickets.token },
    constants: () => ({ serverUrl: tickets.url }),
  });
  const hub = new Hub('n', store, new MemoryBus({ shared: true }), silentLogger);
  const service = new ConversationService({ store, sequencer, hub, botFor: () => engine, clock, log: silentLogger }, { idleTimeoutMs: 15 * 60_000 });
  return { service, engine };
}

const conversation = { id: 'c-engine', botId: 'st-1', userId: 'u-engine' };
const ctx = { conversation, deviceId: 'd-1', client: { channel: 'test', capabilities: KORE } };
const botTexts = (es: readonly Entry[]) => es.flatMap((e) => (e.body.kind === 'bot_message' && e.body.content.type !== 'form' ? [(e.body.content as { text: string }).text] : []));

describe('inline turns and calls out', () => {
  test('a turn without calls out is one append; one that reaches an HTTP node stores and acks the message first', async () => {
    const store = new RecordingStore();
    const { service } = node(store, new MemorySequencer());
    const acks: string[] = [];
    const say = (text: string) => service.receive(ctx, { text }, undefined, () => void acks.push(text));

    await say('check my ticket');
    expect(store.appends.at(-1)).toEqual(['session_start', 'user_message', 'flow_started', 'bot_message', 'waiting_for_user_input']);

    // The answer reaches the HTTP node: the inline run defers; the message is stored alone and acked,
    // and only then the service is called; the bot's answer is a second append.
    const before = tickets.requests.length;
    let storedWhenCalled: string[] | undefined;
    const seen = new Promise<void>((ok) => {
      const timer = setInterval(() => {
        if (tickets.requests.length > before) {
          clearInterval(timer);
          storedWhenCalled = store.appends.map((a) => a.join(','));
          ok();
        }
      }, 1);
    });
    await say('HD-1001');
    await seen;
    expect(acks).toEqual(['check my ticket', 'HD-1001']);
    expect(store.appends.slice(-2)).toEqual([['user_message'], ['bot_message', 'flow_completed']]);
    expect(storedWhenCalled!.at(-1)).toBe('user_message');
    expect(botTexts(await store.readSince(conversation.id, 0, 100)).at(-1)).toBe('I could not find a ticket HD-1001 of yours. Say "show my tickets" to see them.');
  });
});

describe('the state row', () => {
  test('any node continues any conversation: two engines, one store, turns alternating', async () => {
    const store = new MemoryStore();
    const sequencer = new MemorySequencer();
    const a = node(store, sequencer);
    const b = node(store, sequencer);
    const say = (n: typeof a, text: string) => n.service.receive({ ...ctx, conversation: { ...conversation, id: 'c-two' } }, { text }, undefined, () => {});
    await say(a, 'create a ticket');
    await say(b, 'The badge reader at the door is broken');
    await say(a, 'normal');
    await say(b, 'yes');
    const texts = botTexts(await store.readSince('c-two', 0, 100));
    expect(texts).toEqual([
      'Tell me in a sentence what is wrong.',
      'How urgent is it?',
      'Open a normal priority ticket: "The badge reader at the door is broken"?',
      expect.stringMatching(/^Ticket HD-\d+ is open/),
    ]);
  });

  test('a new session starts the flows and session variables afresh; user variables stay', async () => {
    const t = await chat(fixture('showcase'), { sessionVars: { name: 'Ada' }, idleMs: 60_000 });
    await t.user('update my contact details');
    await t.user('ada@example.com');
    await t.user('order a pizza');
    t.expect('Which size?');
    t.clock.advance(61_000);
    await t.user('hello');
    t.expect('Hello Ada! You are on the basic plan, in test.');
    const state = (await t.dialog()) as { stack: unknown[]; userVars: Record<string, unknown> };
    expect(state.stack).toEqual([]);
    expect(state.userVars).toEqual({ plan: 'basic', email: 'ada@example.com' });
  });

  test('a turn that changes nothing writes no state; the state stays small over a long conversation', async () => {
    const t = await chat(HELPDESK);
    await t.user('hello');
    const first = await t.dialog();
    await t.user('thanks');
    expect(await t.dialog()).toBe(first);
    for (let i = 0; i < 30; i++) {
      await t.user('request hardware');
      await t.press('Mouse');
      await t.user('go back');
    }
    const size = JSON.stringify(await t.dialog()).length;
    expect(size).toBeLessThan(8_000);
  });

  test('a stored flow whose node no longer exists (the bot changed) is dropped, not an error', async () => {
    const t = await chat(HELPDESK);
    await t.user('reset my password');
    const state = (await t.dialog()) as { stack: { node: string; wait: { node: string } }[] };
    const engine = t.engine;
    const out = await engine.turn({
      conversation,
      sessionId: (state as unknown as { session: string }).session,
      trigger: { type: 'message', input: { text: 'thanks' } },
      dialog: { ...state, stack: [{ ...state.stack[0]!, node: 'gone', wait: { node: 'gone', tries: 0 } }] },
    });
    expect(out.outputs.some((o) => o.kind === 'message' && o.content.type === 'text' && o.content.text.startsWith("You're welcome"))).toBe(true);
    expect((out.dialog as { stack: unknown[] }).stack).toEqual([]);
  });
});
