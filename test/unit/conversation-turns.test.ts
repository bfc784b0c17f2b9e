/**
 * Turns of a conversation (ConversationService): persist → ack → publish → bot, deduplication by the
 * device's client message id, welcomes for one device, bot failures, ordering, and dialog state.
 */
import { describe, expect, test } from 'vitest';
import type { Accepted } from '../../src/core/conversation/service.js';
import type { Entry } from '../../src/core/model.js';
import { conversationScript, deferred, describeEntry, echo, say, type Script } from './support/conversation.js';

describe('a user message', () => {
  test('is stored before it is acknowledged, and acknowledged before the bot runs', async () => {
    const c = conversationScript();
    const events: string[] = [];
    let storedAtAck: Promise<readonly Entry[]> | undefined;
    c.bot.script = (i) => {
      events.push('bot');
      return echo(i);
    };
    await c.service.receive(c.on(), { text: 'hi' }, 'cm-1', (a) => {
      events.push(`ack ${a.seq}`);
      storedAtAck = c.store.readSince(c.conversation.id, 0, 100); // the store's view at the moment of the ack
    });
    expect(events).toEqual(['ack 2', 'bot']);
    expect((await storedAtAck!).map(describeEntry)).toEqual(['session_start', 'user:hi']);
  });

  test('the stored message records the device and client message id it came from', async () => {
    const c = conversationScript();
    await c.send('hi', { device: 'd-7', clientMessageId: '1795275418830' });
    const message = (await c.log())[1]!;
    expect(message).toMatchObject({ from: { role: 'user', id: 'u-1' }, origin: { deviceId: 'd-7', clientMessageId: '1795275418830' }, at: c.clock.now() });
  });

  test('the bot gets the conversation, session, input and dialog', async () => {
    const c = conversationScript();
    const { sessionId } = await c.service.open(c.on());
    await c.send({ text: 'fruit apple', display: 'Apple' });
    expect(c.bot.turns).toEqual([{ conversation: c.conversation, sessionId, trigger: { type: 'message', input: { text: 'fruit apple', display: 'Apple' } }, dialog: undefined, inline: false }]);
  });

  test('bot outputs are stored in order as bot messages and events of the session', async () => {
    const c = conversationScript(() => ({ outputs: [say('one'), say('two'), { kind: 'event', name: 'waiting_for_user_input' }], dialog: undefined }));
    await c.send('go');
    expect(await c.script()).toEqual(['session_start', 'user:go', 'bot:one', 'bot:two', 'waiting_for_user_input']);
    const [, , one] = await c.log();
    expect(one).toMatchObject({ from: { role: 'bot', id: 'st-1' } });
    expect(one).not.toHaveProperty('audience');
  });

  test('a bot with nothing to say appends nothing after the message', async () => {
    const c = conversationScript((i) => ({ outputs: [], dialog: i.dialog }));
    await c.send('hm');
    expect(await c.script()).toEqual(['session_start', 'user:hm']);
  });
});

describe('duplicates', () => {
  test('the same client message id from the same device is acked with the original seq and stored once', async () => {
    const c = conversationScript();
    const first = await c.send('hi', { clientMessageId: 'cm-1' });
    const before = (await c.state()).headSeq;
    const again = await c.send('hi', { clientMessageId: 'cm-1' });
    expect(first).toEqual({ seq: 2, duplicate: false });
    expect(again).toEqual({ seq: 2, duplicate: true });
    expect((await c.state()).headSeq).toBe(before);
    expect(c.bot.turns).toHaveLength(1);
  });

  test('a duplicate after other messages still points at the original', async () => {
    const c = conversationScript();
    await c.send('a', { clientMessageId: 'cm-1' });
    await c.send('b', { clientMessageId: 'cm-2' });
    expect(await c.send('a', { clientMessageId: 'cm-1' })).toEqual({ seq: 2, duplicate: true });
  });

  test('the same client message id from another device is a new message', async () => {
    const c = conversationScript();
    await c.send('hi', { device: 'd-1', clientMessageId: '1700000000000' });
    const other = await c.send('hi', { device: 'd-2', clientMessageId: '1700000000000' });
    expect(other).toEqual({ seq: 4, duplicate: false });
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi', 'user:hi', 'bot:echo: hi']);
  });

  test('messages without a client message id are never duplicates', async () => {
    const c = conversationScript();
    await c.send('hi');
    expect((await c.send('hi')).duplicate).toBe(false);
  });
});

describe('welcome (On-Connect)', () => {
  test('the greeting is addressed to the device whose window opened', async () => {
    const c = conversationScript();
    const { sessionId } = await c.service.open(c.on('d-2'));
    await c.service.welcome(c.on('d-2'));
    const log = await c.log();
    expect(log.map(describeEntry)).toEqual(['session_start', 'bot:Welcome!']);
    expect(log[1]).toMatchObject({ audience: { deviceId: 'd-2' }, sessionId });
    expect(c.bot.turns.at(-1)!.trigger).toEqual({ type: 'connect' });
  });

  test('every output of the greeting carries the audience', async () => {
    const c = conversationScript(() => ({ outputs: [say('Hi'), say('How can I help?'), { kind: 'event', name: 'waiting_for_user_input' }], dialog: undefined }));
    await c.service.open(c.on('d-3'));
    await c.service.welcome(c.on('d-3'));
    expect((await c.log()).slice(1).map((e) => e.audience)).toEqual([{ deviceId: 'd-3' }, { deviceId: 'd-3' }, { deviceId: 'd-3' }]);
  });

  test('no greeting without an active session', async () => {
    const c = conversationScript();
    await c.service.welcome(c.on());
    expect(c.bot.turns).toEqual([]);
    expect(await c.script()).toEqual([]);
  });

  test('replies to messages have no audience', async () => {
    const c = conversationScript();
    await c.send('hi', { device: 'd-2' });
    expect((await c.log()).some((e) => e.audience !== undefined)).toBe(false);
  });
});

describe('a failing bot', () => {
  test('the user gets an apology instead of silence, and the dialog state is kept', async () => {
    const c = conversationScript((i) => ({ outputs: [say('ok')], dialog: { step: 1, seen: i.trigger.type } }));
    await c.send('first');
    const version = (await c.state()).version;
    c.bot.script = () => {
      throw new Error('bot crashed');
    };
    const accepted = await c.send('second');
    expect(accepted.duplicate).toBe(false);
    expect((await c.script()).slice(-2)).toEqual(['user:second', 'bot:Sorry, something went wrong on my side. Please try again.']);
    expect(await c.state()).toMatchObject({ version, value: { dialog: { step: 1, seen: 'message' } } });
  });

  test('an async rejection is handled the same way', async () => {
    const c = conversationScript(async () => Promise.reject(new Error('timeout')));
    await c.send('hi');
    expect((await c.script()).at(-1)).toMatch(/^bot:Sorry/);
  });
});

describe('ordering', () => {
  test('concurrent messages are stored in call order even when the bot is slow for some', async () => {
    const slow = deferred();
    const script: Script = async (i) => {
      if (i.trigger.type === 'message' && i.trigger.input.text.endsWith('slow')) await slow.promise;
      return echo(i);
    };
    const c = conversationScript(script);
    const texts = ['m0 slow', 'm1', 'm2 slow', 'm3', 'm4', 'm5 slow', 'm6'];
    const acks: Accepted[] = [];
    const turns = texts.map((text, i) => c.service.receive(c.on(i % 2 ? 'd-1' : 'd-2'), { text }, `cm-${i}`, (a) => acks.push(a)));
    slow.resolve();
    await Promise.all(turns);
    const users = (await c.log()).filter((e) => e.body.kind === 'user_message');
    expect(users.map(describeEntry)).toEqual(texts.map((t) => `user:${t}`));
    expect(acks.map((a) => a.seq)).toEqual(users.map((e) => e.seq));
    // Each answer directly follows its question: turns never interleave.
    const script2 = await c.script();
    for (const t of texts) expect(script2[script2.indexOf(`user:${t}`) + 1]).toBe(`bot:echo: ${t}`);
  });

  test('a turn waits for the previous turn of the same conversation to finish', async () => {
    const gate = deferred();
    const c = conversationScript(async (i) => {
      if (i.trigger.type === 'message' && i.trigger.input.text === 'first') await gate.promise;
      return echo(i);
    });
    const acked: string[] = [];
    const first = c.service.receive(c.on(), { text: 'first' }, 'a', () => acked.push('first'));
    const second = c.service.receive(c.on(), { text: 'second' }, 'b', () => acked.push('second'));
    await new Promise((r) => setImmediate(r));
    expect(acked).toEqual(['first']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(acked).toEqual(['first', 'second']);
  });
});

describe('dialog state', () => {
  test('an unchanged dialog is not written: the state version stays', async () => {
    const c = conversationScript(echo);
    await c.send('a');
    const after = await c.state();
    await c.send('b');
    expect((await c.state()).version).toBe(after.version);
  });

  test('a changed dialog is written with the turn, and handed to the next turn', async () => {
    const c = conversationScript((i) => {
      const count = ((i.dialog as { count?: number } | undefined)?.count ?? 0) + 1;
      return { outputs: [say(`#${count}`)], dialog: { count } };
    });
    await c.send('a');
    const v1 = (await c.state()).version;
    await c.send('b');
    const s2 = await c.state();
    expect(s2.version).toBe(v1 + 1);
    expect(s2.value.dialog).toEqual({ count: 2 });
    expect(c.bot.turns.map((t) => t.dialog)).toEqual([undefined, { count: 1 }]);
    expect(s2.value.session).toBeDefined();
  });

  test('a dialog change with no output is still written', async () => {
    const c = conversationScript((i) => ({ outputs: [], dialog: { seen: (i.trigger as { input: { text: string } }).input.text } }));
    await c.send('x');
    expect(await c.script()).toEqual(['session_start', 'user:x']);
    expect((await c.state()).value.dialog).toEqual({ seen: 'x' });
  });

  test('a session change does not lose the dialog', async () => {
    const c = conversationScript(() => ({ outputs: [], dialog: { keep: true } }));
    await c.send('x');
    await c.service.closeSession(c.on());
    expect((await c.state()).value).toEqual({ dialog: { keep: true } });
  });
});
