/**
 * Sessions of a conversation (ConversationService with memory ports and a ManualClock): a window
 * opening starts one, activity keeps it, idleness or the user ends it — each with exactly one event.
 */
import { describe, expect, test } from 'vitest';
import { ConversationService } from '../../src/core/conversation/service.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { conversationScript, echo, IDLE_MS } from './support/conversation.js';

describe('opening a window', () => {
  test('the first open starts a session: one session_start, recorded in the state row', async () => {
    const c = conversationScript();
    const opened = await c.service.open(c.on());
    expect(opened.headSeq).toBe(0);
    expect(await c.script()).toEqual(['session_start']);
    const [start] = await c.log();
    expect(start!.sessionId).toBe(opened.sessionId);
    expect((await c.state()).value.session).toEqual({ id: opened.sessionId, startedAt: c.clock.now() });
  });

  test('a second open while the session is active reuses it and appends nothing', async () => {
    const c = conversationScript();
    const first = await c.service.open(c.on('d-1'));
    c.clock.advance(IDLE_MS - 1);
    const second = await c.service.open(c.on('d-2'));
    expect(second).toEqual({ sessionId: first.sessionId, headSeq: 1 });
    expect(await c.script()).toEqual(['session_start']);
  });

  test('a message without an open starts the session itself', async () => {
    const c = conversationScript();
    await c.send('hi');
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi']);
    const log = await c.log();
    expect(new Set(log.map((e) => e.sessionId)).size).toBe(1);
  });

  test('messages of an active session carry its id', async () => {
    const c = conversationScript();
    const { sessionId } = await c.service.open(c.on());
    await c.send('a');
    await c.send('b');
    expect((await c.log()).map((e) => e.sessionId)).toEqual(Array(5).fill(sessionId));
  });
});

describe('idle timeout', () => {
  test('after the idle time session_end(idle) is appended exactly once', async () => {
    const c = conversationScript();
    const { sessionId } = await c.service.open(c.on());
    await c.send('hi');
    c.clock.advance(IDLE_MS - 1);
    await c.settle();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi']);
    c.clock.advance(1);
    await c.settle();
    c.clock.advance(10 * IDLE_MS);
    await c.settle();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi', 'session_end(idle)']);
    const end = (await c.log()).at(-1)!;
    expect(end.sessionId).toBe(sessionId);
    expect((await c.state()).value.session).toBeUndefined();
    expect(c.service.activeTimers).toBe(0);
  });

  test('activity restarts the countdown', async () => {
    const c = conversationScript();
    await c.send('one');
    c.clock.advance(IDLE_MS - 1);
    await c.send('two');
    c.clock.advance(IDLE_MS - 1);
    await c.settle();
    expect(await c.script()).not.toContain('session_end(idle)');
    c.clock.advance(1);
    await c.settle();
    expect((await c.script()).filter((s) => s.startsWith('session_end'))).toEqual(['session_end(idle)']);
  });

  test('opening another window appends nothing, so it does not postpone the idle end', async () => {
    const c = conversationScript();
    await c.send('hi'); // last entry at t = 0
    c.clock.advance(10 * 60_000);
    await c.service.open(c.on('d-2')); // the session is active: nothing is appended
    c.clock.advance(IDLE_MS - 10 * 60_000); // t = idle time after the last entry
    await c.settle();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi', 'session_end(idle)']);
    expect((await c.log()).at(-1)!.at).toBe(c.clock.now());
  });

  test('a message after the timeout starts a new session; the old one is not ended twice', async () => {
    const c = conversationScript();
    const first = await c.service.open(c.on());
    c.clock.advance(IDLE_MS);
    await c.settle();
    c.clock.advance(60_000);
    await c.send('back again');
    expect(await c.script()).toEqual(['session_start', 'session_end(idle)', 'session_start', 'user:back again', 'bot:echo: back again']);
    const log = await c.log();
    const second = (await c.state()).value.session!;
    expect(second.id).not.toBe(first.sessionId);
    expect(log.slice(2).map((e) => e.sessionId)).toEqual([second.id, second.id, second.id]);
  });

  test('a session that outlived its timer (a restarted node) is ended by the next message, once', async () => {
    const c = conversationScript();
    const first = await c.service.open(c.on());
    c.service.stop(); // this node goes away with its timers
    const restarted = new ConversationService(
      { store: c.store, sequencer: new MemorySequencer(), hub: c.hub, botFor: () => c.bot, clock: c.clock, log: silentLogger },
      { idleTimeoutMs: IDLE_MS },
    );
    c.clock.advance(2 * IDLE_MS);
    await restarted.receive(c.on(), { text: 'hello?' }, undefined, () => {});
    expect(await c.script()).toEqual(['session_start', 'session_end(idle)', 'session_start', 'user:hello?', 'bot:echo: hello?']);
    expect((await c.log())[1]!.sessionId).toBe(first.sessionId);
  });

  test('an open after the timeout starts a fresh session', async () => {
    const c = conversationScript();
    const first = await c.service.open(c.on());
    c.clock.advance(IDLE_MS);
    await c.settle();
    const second = await c.service.open(c.on());
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.headSeq).toBe(2);
    expect(await c.script()).toEqual(['session_start', 'session_end(idle)', 'session_start']);
  });
});

describe('closing the session', () => {
  test('closeSession ends it with session_end(closed), and only once', async () => {
    const c = conversationScript();
    const { sessionId } = await c.service.open(c.on());
    expect(await c.service.closeSession(c.on())).toBe(true);
    expect(await c.service.closeSession(c.on())).toBe(false);
    expect(await c.script()).toEqual(['session_start', 'session_end(closed)']);
    expect((await c.log())[1]!.sessionId).toBe(sessionId);
    expect((await c.state()).value.session).toBeUndefined();
  });

  test('a closed session has no idle timer left to fire', async () => {
    const c = conversationScript();
    await c.send('hi');
    await c.service.closeSession(c.on());
    expect(c.service.activeTimers).toBe(0);
    c.clock.advance(2 * IDLE_MS);
    await c.settle();
    expect((await c.script()).filter((s) => s.startsWith('session_end'))).toEqual(['session_end(closed)']);
  });

  test('closing with no session appends nothing', async () => {
    const c = conversationScript();
    expect(await c.service.closeSession(c.on())).toBe(false);
    expect(await c.script()).toEqual([]);
  });

  test('the next message after a close starts a new session', async () => {
    const c = conversationScript(echo);
    await c.send('a');
    await c.service.closeSession(c.on());
    await c.send('b');
    expect(await c.script()).toEqual(['session_start', 'user:a', 'bot:echo: a', 'session_end(closed)', 'session_start', 'user:b', 'bot:echo: b']);
  });
});

test('every stored entry is published to subscribers, in seq order, once', async () => {
  const c = conversationScript();
  await c.service.open(c.on());
  await c.send('a');
  await c.service.closeSession(c.on());
  await c.send('b');
  await new Promise((r) => setImmediate(r));
  expect(c.published).toEqual(await c.log());
});
