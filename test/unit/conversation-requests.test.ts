/**
 * Request correlation in the log (RequestMark), `restart` (a new session with a greeting, in one commit),
 * `closeSession` with a reason, and per-conversation idle timeouts.
 */
import { describe, expect, test } from 'vitest';
import { ConversationService } from '../../src/core/conversation/service.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { conversationScript, echo, IDLE_MS, say } from './support/conversation.js';

describe('request marks', () => {
  test('every entry of a turn carries the request id; only the last one is marked last', async () => {
    const c = conversationScript((i) => ({ outputs: [say('one'), say('two')], dialog: i.dialog }));
    await c.service.receive({ ...c.on(), request: { id: 'REQ123' } }, { text: 'hi' }, undefined, () => {});
    const log = await c.log();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:one', 'bot:two']);
    expect(log.map((e) => e.request)).toEqual([{ id: 'REQ123' }, { id: 'REQ123' }, { id: 'REQ123' }, { id: 'REQ123', last: true }]);
  });

  test('a numeric id keeps its type, and turns without a request carry no mark', async () => {
    const c = conversationScript();
    await c.service.receive({ ...c.on(), request: { id: 7 } }, { text: 'a' }, undefined, () => {});
    await c.send('b');
    const log = await c.log();
    expect(log[log.length - 3]!.request).toEqual({ id: 7, last: true });
    expect(log.slice(-2).map((e) => e.request)).toEqual([undefined, undefined]);
  });

  test('a reused request id is not a duplicate: both turns are stored', async () => {
    const c = conversationScript();
    for (const text of ['a', 'b']) await c.service.receive({ ...c.on(), request: { id: 'R' } }, { text }, undefined, () => {});
    expect(await c.script()).toEqual(['session_start', 'user:a', 'bot:echo: a', 'user:b', 'bot:echo: b']);
  });
});

describe('restart and close with a reason', () => {
  test('restart ends the active session (reset), starts a new one and greets it, all marked with the request', async () => {
    const c = conversationScript(echo);
    await c.send('hi');
    const before = (await c.state()).value.session!.id;
    const r = await c.service.restart({ ...c.on(), request: { id: 'R1' } });
    expect(r.previousSessionId).toBe(before);
    expect(r.sessionId).not.toBe(before);
    const log = await c.log();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi', 'session_end(reset)', 'session_start', 'bot:Welcome!']);
    expect(log.slice(3).map((e) => e.request)).toEqual([{ id: 'R1' }, { id: 'R1' }, { id: 'R1', last: true }]);
    expect(log.slice(4).every((e) => e.sessionId === r.sessionId)).toBe(true);
    expect((await c.state()).value.session!.id).toBe(r.sessionId);
  });

  test('restart with no session only starts one', async () => {
    const c = conversationScript(echo);
    const r = await c.service.restart(c.on());
    expect(r.previousSessionId).toBeUndefined();
    expect(await c.script()).toEqual(['session_start', 'bot:Welcome!']);
  });

  test('closeSession records the reason and marks the session_end with the request', async () => {
    const c = conversationScript();
    await c.send('hi');
    expect(await c.service.closeSession({ ...c.on(), request: { id: 'bye' } }, 'logout')).toBe(true);
    const log = await c.log();
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:echo: hi', 'session_end(logout)']);
    expect(log[3]!.request).toEqual({ id: 'bye', last: true });
  });
});

describe('per-conversation idle timeouts', () => {
  test('a conversation with its own timeout ends after it, not after the default', async () => {
    const c = conversationScript();
    c.service.stop();
    const short = new ConversationService(
      { store: c.store, sequencer: new MemorySequencer(), hub: c.hub, botFor: () => c.bot, clock: c.clock, log: silentLogger },
      { idleTimeoutMs: IDLE_MS, idleTimeoutFor: (conv) => (conv.id === c.conversation.id ? 60_000 : undefined) },
    );
    await short.receive(c.on(), { text: 'hi' }, undefined, () => {});
    c.clock.advance(59_000);
    expect(await short.activeSession(c.conversation)).toBeDefined();
    c.clock.advance(2_000);
    expect(await short.activeSession(c.conversation)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    expect((await c.script()).at(-1)).toBe('session_end(idle)');
    short.stop();
  });

  test('the session records its own timeout, so a node that does not know the channel still honours it', async () => {
    const c = conversationScript();
    c.service.stop();
    const knowing = new ConversationService(
      { store: c.store, sequencer: new MemorySequencer(), hub: c.hub, botFor: () => c.bot, clock: c.clock, log: silentLogger },
      { idleTimeoutMs: IDLE_MS, idleTimeoutFor: () => 60_000 },
    );
    await knowing.receive(c.on(), { text: 'hi' }, undefined, () => {});
    expect((await c.state()).value.session?.idleMs).toBe(60_000);
    knowing.stop();
    const other = new ConversationService(
      { store: c.store, sequencer: new MemorySequencer(), hub: c.hub, botFor: () => c.bot, clock: c.clock, log: silentLogger },
      { idleTimeoutMs: IDLE_MS },
    );
    c.clock.advance(61_000);
    expect(await other.activeSession(c.conversation)).toBeUndefined();
    await other.receive(c.on(), { text: 'again' }, undefined, () => {});
    expect((await c.script()).slice(-4)).toEqual(['session_end(idle)', 'session_start', 'user:again', 'bot:echo: again']);
    expect((await c.state()).value.session?.idleMs).toBeUndefined();
    other.stop();
  });
});
