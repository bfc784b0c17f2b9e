/**
 * Conversation-script harness: a ConversationService on the memory ports, a ManualClock, a Hub whose
 * every delivery is recorded, and a scripted bot double whose answers the test decides.
 */
import { ConversationService, type Accepted, type TurnContext } from '../../../src/core/conversation/service.js';
import { Hub } from '../../../src/core/fanout/hub.js';
import type { Content, ConversationRef, Entry, UserInput } from '../../../src/core/model.js';
import { MemoryBus } from '../../../src/core/memory/bus.js';
import { ManualClock } from '../../../src/core/memory/clock.js';
import { MemorySequencer } from '../../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../../src/core/memory/store.js';
import type { BotEngine, BotOutput, BotTurnInput, BotTurnOutput } from '../../../src/core/ports/bot.js';
import { silentLogger } from '../../../src/core/ports/logger.js';

export type Script = (input: BotTurnInput) => BotTurnOutput | Promise<BotTurnOutput>;

/** A bot double: answers by `script`, records every turn it was asked for. */
export class ScriptedBot implements BotEngine {
  readonly turns: BotTurnInput[] = [];
  constructor(public script: Script) {}
  async turn(input: BotTurnInput): Promise<BotTurnOutput> {
    this.turns.push(input);
    return this.script(input);
  }
}

export const say = (text: string): BotOutput => ({ kind: 'message', content: { type: 'text', text } });
/** A bot that echoes messages and greets on connect, keeping its dialog state as is. */
export const echo: Script = (i) => ({
  outputs: [say(i.trigger.type === 'connect' ? 'Welcome!' : i.trigger.type === 'message' ? `echo: ${i.trigger.input.text}` : 'welcome back')],
  dialog: i.dialog,
});

/** A promise resolved by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const IDLE_MS = 15 * 60_000;

export function conversationScript(script: Script = echo, idleTimeoutMs = IDLE_MS) {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const sequencer = new MemorySequencer();
  const bus = new MemoryBus({ shared: true });
  const hub = new Hub('n-1', store, bus, silentLogger);
  const bot = new ScriptedBot(script);
  const service = new ConversationService({ store, sequencer, hub, botFor: () => bot, clock, log: silentLogger }, { idleTimeoutMs });
  const conversation: ConversationRef = { id: 'c-1', botId: 'st-1', userId: 'u-1' };
  const on = (deviceId = 'd-1'): TurnContext => ({ conversation, deviceId });

  /** Everything published for this conversation, in delivery order. */
  const published: Entry[] = [];
  hub.attach({ id: 'recorder', conversationId: conversation.id, deliver: (es) => void published.push(...es) }, 0);

  return {
    clock,
    store,
    hub,
    bot,
    service,
    conversation,
    on,
    published,
    /** A user message; resolves with the ack once the whole turn (bot included) is done. */
    async send(text: string | UserInput, opts: { device?: string; clientMessageId?: string } = {}): Promise<Accepted> {
      let accepted: Accepted | undefined;
      const input = typeof text === 'string' ? { text } : text;
      await service.receive(on(opts.device), input, opts.clientMessageId, (a) => (accepted = a));
      if (!accepted) throw new Error('receive finished without an ack');
      return accepted;
    },
    /** Wait until every turn queued for the conversation so far (timer-started ones too) has finished. */
    settle: () => sequencer.run(conversation.id, async () => undefined),
    log: () => store.readSince(conversation.id, 0, 10_000),
    state: () => store.getState(conversation.id),
    /** The log as short strings: `session_start`, `user:hi`, `bot:echo: hi`, `session_end(idle)`. */
    async script(): Promise<string[]> {
      return (await store.readSince(conversation.id, 0, 10_000)).map(describeEntry);
    },
  };
}

export const textOf = (c: Content): string => (c.type === 'text' ? c.text : c.type);

export function describeEntry(e: Entry): string {
  const b = e.body;
  if (b.kind === 'user_message') return `user:${b.input.text}`;
  if (b.kind === 'bot_message') return `bot:${textOf(b.content)}`;
  return b.reason ? `${b.name}(${b.reason})` : b.name;
}
