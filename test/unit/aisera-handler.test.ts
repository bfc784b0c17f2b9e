/**
 * The Aisera request handler on the memory ports, with a bot whose turn the test holds open: a request whose
 * reqId is still in flight for the same conversation is refused (409 DUPLICATE_REQ_ID) without touching the
 * log, the same id is fine for another user or once the first request is answered.
 */
import { expect, test } from 'vitest';
import { Gate } from '../../src/auth/gate.js';
import { ConversationService } from '../../src/core/conversation/service.js';
import { Hub } from '../../src/core/fanout/hub.js';
import { conversationIdFor, userIdFor } from '../../src/core/ids.js';
import type { ConversationRef } from '../../src/core/model.js';
import { HandoffDesk } from '../../src/core/handoff/desk.js';
import { MemoryBus } from '../../src/core/memory/bus.js';
import { MemoryDeskStore } from '../../src/core/memory/desk-store.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import { MemoryRateLimiter } from '../../src/core/memory/rate-limiter.js';
import { MemorySequencer } from '../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Capabilities } from '../../src/protocols/aisera/decode.js';
import type { Frame, FrameView } from '../../src/protocols/aisera/encode.js';
import { AiseraHandler, Binding, IdleByConversation, type AiseraClient } from '../../src/protocols/aisera/handler.js';
import { AiseraTokens, sha256Hex, TokenCache } from '../../src/protocols/aisera/tokens.js';
import { deferred, say, ScriptedBot } from './support/conversation.js';
import { TestDirectory } from './support/directory.js';

const KEY = 'ck_unit-test-channel-key-0123456789';

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const hub = new Hub('n-1', store, new MemoryBus({ shared: true }), silentLogger);
  const hold = { gate: undefined as ReturnType<typeof deferred> | undefined };
  const bot = new ScriptedBot(async (i) => {
    if (hold.gate) await hold.gate.promise;
    return { outputs: [say(`echo: ${i.trigger.type === 'message' ? i.trigger.input.text : 'hello'}`)], dialog: i.dialog };
  });
  const conversations = new ConversationService({ store, sequencer: new MemorySequencer(), hub, botFor: () => bot, clock, log: silentLogger }, { idleTimeoutMs: 60_000 });
  const directory = new TestDirectory([{ id: 'st-1', name: 'Bot', suspended: false }]);
  directory.channelsById.set('ch-1', { id: 'ch-1', botId: 'st-1', name: 'c', keyHash: sha256Hex(KEY), origins: [] });
  const gate = new Gate(directory, new MemoryEphemeralStore(clock), new MemoryRateLimiter(100, 100, clock), clock, { penaltyMs: 0, cacheMs: 1000 });
  const handler = new AiseraHandler({
    conversations,
    hub,
    store,
    directory,
    gate,
    tokens: new AiseraTokens('s'.repeat(32), clock),
    clock,
    log: silentLogger,
    idle: new IdleByConversation(),
    settings: { idleTimeoutMs: 300_000, maxAuthFailures: 3 },
    hasSurvey: () => false,
    desk: new HandoffDesk({ service: conversations, store, desk: new MemoryDeskStore(), clock, log: silentLogger }),
    agentAccount: async () => null,
  });
  return { handler, hub, store, hold, conversations };
}

/** A client that records the frames it gets (its own replies and the followed conversation's). */
function client(hub: Hub, store: MemoryStore, name: string): AiseraClient & { frames: Frame[] } {
  const frames: Frame[] = [];
  const followed = new Set<string>();
  return {
    frames,
    deviceId: `d-${name}`,
    origin: undefined,
    tokens: new TokenCache(),
    async follow(conv: ConversationRef, view: FrameView) {
      if (followed.has(conv.id)) return;
      followed.add(conv.id);
      hub.attach(new Binding(`${name}:${conv.id}`, conv.id, view, (fs) => fs.forEach((f) => frames.push(JSON.parse(f) as Frame))), (await store.getState(conv.id)).headSeq);
    },
    reply: (f) => void frames.push(f),
    warn: () => {},
    capabilities: (_id: string, d: Capabilities | undefined) => d ?? {},
  };
}

const req = (userId: string, reqId: string, text: string) => JSON.stringify({ token: KEY, userId, channelId: 'ch-1', data: { reqId, text } });

test('a reqId in flight for the conversation is refused with 409; other users and later reuse are fine', async () => {
  const { handler, hub, store, hold } = setup();
  const a = client(hub, store, 'a');
  const b = client(hub, store, 'b');
  await handler.handle(req('u1', 'warm', 'warm up'), a);
  hold.gate = deferred();
  const first = handler.handle(req('u1', 'R', 'first'), a);
  await new Promise((r) => setTimeout(r, 10));
  await handler.handle(req('u1', 'R', 'second'), b);
  expect(b.frames.at(-1)).toMatchObject({ reqId: 'R', modeType: 'Error', code: 409, errorCode: 'DUPLICATE_REQ_ID', retryable: true });
  const other = client(hub, store, 'c');
  const otherUser = handler.handle(req('u2', 'R', 'another user'), other);
  hold.gate.resolve(undefined);
  await Promise.all([first, otherUser]);
  hold.gate = undefined;
  expect(a.frames.filter((f) => f['reqId'] === 'R').map((f) => (f['answers'] as { text?: string }[])[0]?.text)).toEqual(['echo: first']);
  expect(other.frames.at(-1)).toMatchObject({ reqId: 'R', final: true, answers: [{ text: 'echo: another user' }] });
  await handler.handle(req('u1', 'R', 'reused'), b);
  expect(b.frames.at(-1)).toMatchObject({ reqId: 'R', final: true, answers: [{ text: 'echo: reused' }] });
  const conv = conversationIdFor('st-1', userIdFor('aisera:ch-1:u1'));
  const said = (await store.readSince(conv, 0, 100)).flatMap((e) => (e.body.kind === 'user_message' ? [e.body.input.text] : []));
  expect(said).toEqual(['warm up', 'first', 'reused']);
});
