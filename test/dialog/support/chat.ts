/**
 * Conversation scripts for bot definitions: the real dialog engine behind the real ConversationService
 * (memory ports, a ManualClock), read like a transcript:
 *
 *   const t = await chat(HELPDESK);
 *   await t.user('reset my password');
 *   t.expect(/which account/i);
 */
import { expect } from 'vitest';
import { ConversationService, type TurnContext } from '../../../src/core/conversation/service.js';
import { HandoffDesk } from '../../../src/core/handoff/desk.js';
import { MemoryDeskStore } from '../../../src/core/memory/desk-store.js';
import { Hub } from '../../../src/core/fanout/hub.js';
import type { ChannelCapabilities, Content, Entry, EventDetail, Form, UserInput } from '../../../src/core/model.js';
import { MemoryBus } from '../../../src/core/memory/bus.js';
import { ManualClock } from '../../../src/core/memory/clock.js';
import { MemorySequencer } from '../../../src/core/memory/sequencer.js';
import { MemoryStore } from '../../../src/core/memory/store.js';
import type { Logger } from '../../../src/core/ports/logger.js';
import { loadBotDefinition } from '../../../src/dialog/definition/load.js';
import { DialogEngine } from '../../../src/dialog/engine.js';
import type { ServiceCaller } from '../../../src/dialog/flow/turn.js';

export const HELPDESK = new URL('../../../bots/helpdesk', import.meta.url).pathname;
export const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname;

/** The Kore Web SDK's capabilities (forms of text-like fields), and a client that renders every field type. */
export const KORE: ChannelCapabilities = { forms: { fieldTypes: ['text', 'textarea', 'number', 'date'], keptAfterSubmit: false } };
export const FULL_FORMS: ChannelCapabilities = {
  forms: { fieldTypes: ['text', 'textarea', 'date', 'dropdown', 'radio', 'checkboxes', 'number', 'boolean'], keptAfterSubmit: true },
};

/** A Monday: 2030-01-14 10:00 UTC. */
export const MONDAY = Date.UTC(2030, 0, 14, 10, 0, 0);

/** Log lines, kept to check what is (and is not) logged. */
export function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (obj: unknown, msg?: string) => void lines.push(`${level} ${typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj)}`}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

export interface ChatOptions {
  readonly capabilities?: ChannelCapabilities;
  readonly http?: ServiceCaller;
  readonly serverUrl?: string;
  readonly secrets?: Record<string, string>;
  readonly sessionVars?: Record<string, string | number | boolean | null>;
  readonly idleMs?: number;
}

/** What one turn produced. */
export interface Said {
  readonly contents: Content[];
  readonly events: { name: string; detail?: EventDetail }[];
}

export const textOfContent = (c: Content): string => {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'buttons':
      return `${c.text} [${c.buttons.map((b) => b.title).join(' | ')}]`;
    case 'quickReplies':
      return `${c.text} (${c.replies.map((r) => r.title).join(' | ')})`;
    case 'form':
      return `<form ${c.form.title ?? ''}: ${c.form.fields.map((f) => f.name).join(', ')}>`;
    case 'list':
      return `<list ${c.title ?? ''}: ${c.items.map((i) => `${i.title} / ${i.subtitle ?? ''}`).join('; ')}>`;
    case 'carousel':
      return `<carousel ${c.cards.map((i) => i.title).join('; ')}>`;
    case 'media':
      return `<${c.media} ${c.url}>`;
  }
};

export async function chat(dir: string, opts: ChatOptions = {}) {
  const clock = new ManualClock(MONDAY);
  const store = new MemoryStore();
  const sequencer = new MemorySequencer();
  const hub = new Hub('n-1', store, new MemoryBus({ shared: true }), recordingLogger([]));
  const logs: string[] = [];
  const engine = new DialogEngine(loadBotDefinition(dir), {
    clock,
    log: recordingLogger(logs),
    ...(opts.http ? { http: opts.http } : {}),
    secrets: opts.secrets ?? {},
    constants: () => ({ serverUrl: opts.serverUrl ?? 'http://127.0.0.1:9' }),
  });
  const deskStore = new MemoryDeskStore();
  const service = new ConversationService(
    { store, sequencer, hub, botFor: () => engine, clock, log: recordingLogger(logs), desk: deskStore },
    { idleTimeoutMs: opts.idleMs ?? 15 * 60_000 },
  );
  const desk = new HandoffDesk({ service, store, desk: deskStore, clock, log: recordingLogger(logs) });
  const conversation = { id: 'c-1', botId: 'st-1', userId: 'u-1' };
  let capabilities = opts.capabilities ?? KORE;
  const published: Entry[] = [];
  hub.attach({ id: 'recorder', conversationId: conversation.id, deliver: (es) => void published.push(...es) }, 0);
  const transcript: string[] = [];
  let last: Said = { contents: [], events: [] };
  let lastForm: Form | undefined;

  const ctx = (): TurnContext => ({ conversation, deviceId: 'd-1', client: { channel: 'test', capabilities, ...(opts.sessionVars ? { sessionVars: opts.sessionVars } : {}) } });
  const collect = (from: number): Said => {
    const said: Said = { contents: [], events: [] };
    for (const e of published.slice(from)) {
      if (e.body.kind === 'bot_message') {
        said.contents.push(e.body.content);
        if (e.body.content.type === 'form') lastForm = e.body.content.form;
        transcript.push(`bot: ${textOfContent(e.body.content)}`);
      } else if (e.body.kind === 'event' && e.body.name !== 'session_start' && e.body.name !== 'session_end') {
        said.events.push({ name: e.body.name, ...(e.body.detail ? { detail: e.body.detail } : {}) });
        transcript.push(`  [${e.body.name}]`);
      }
    }
    return said;
  };

  const t = {
    clock,
    engine,
    store,
    logs,
    transcript,
    get last() {
      return last;
    },
    /** The texts of the last turn's messages (with button and reply titles). */
    get texts(): string[] {
      return last.contents.map(textOfContent);
    },
    set capabilities(c: ChannelCapabilities) {
      capabilities = c;
    },
    /** The live-agent desk of this conversation (a handoff waits in it). */
    desk,
    /** Let time pass and the desk sweep (handoff timeouts); what was said meanwhile. */
    async wait(ms: number): Promise<Said> {
      const from = published.length;
      clock.advance(ms);
      await desk.sweep();
      return (last = collect(from));
    },
    /** A window opens (On-Connect). */
    async open(): Promise<Said> {
      const from = published.length;
      await service.open(ctx());
      await service.welcome(ctx());
      return (last = collect(from));
    },
    /** The user says something (or presses a button: `{ text: payload, display: title }`). */
    async user(input: string | UserInput): Promise<Said> {
      const from = published.length;
      const i = typeof input === 'string' ? { text: input } : input;
      transcript.push(`user: ${i.display ?? i.text}${i.form ? ` ${JSON.stringify(i.form.values)}` : ''}`);
      await service.receive(ctx(), i, undefined, () => {});
      return (last = collect(from));
    },
    /** Press a button or quick reply of the last turn by its title. */
    async press(title: string): Promise<Said> {
      for (const c of [...last.contents].reverse()) {
        const hit =
          c.type === 'buttons' ? c.buttons.find((b) => b.title === title && b.kind === 'postback') : c.type === 'quickReplies' ? c.replies.find((r) => r.title === title) : undefined;
        if (hit && 'payload' in hit) return t.user({ text: hit.payload, display: title });
      }
      throw new Error(`no button or quick reply "${title}" in: ${JSON.stringify(t.texts)}`);
    },
    /** Submit the form last delivered (values as the channel sends them; a typed channel names the form). */
    async submit(values: Record<string, string | number | boolean | string[]>, typed = false): Promise<Said> {
      const form = lastForm;
      if (!form) throw new Error('no form was delivered');
      return t.user({ text: JSON.stringify(values), form: { ...(typed ? { formId: form.id } : {}), values, typed } });
    },
    /** The last turn said something matching `re`. */
    expect(re: RegExp | string): void {
      const texts = t.texts;
      expect(texts.some((s) => (typeof re === 'string' ? s.includes(re) : re.test(s))), `expected ${String(re)} in:\n  ${texts.join('\n  ')}\n---\n${transcript.join('\n')}`).toBe(true);
    },
    expectNot(re: RegExp): void {
      expect(t.texts.some((s) => re.test(s)), `did not expect ${String(re)} in:\n  ${t.texts.join('\n  ')}`).toBe(false);
    },
    events(): string[] {
      return last.events.map((e) => e.name);
    },
    /** The form delivered by the last turn. */
    form(): Form {
      const c = [...last.contents].reverse().find((x) => x.type === 'form');
      if (!c || c.type !== 'form') throw new Error(`no form in the last turn: ${JSON.stringify(t.texts)}`);
      return c.form;
    },
    /** Titles of the last turn's buttons or quick replies. */
    options(): string[] {
      const c = [...last.contents].reverse().find((x) => x.type === 'buttons' || x.type === 'quickReplies');
      if (!c) return [];
      return c.type === 'buttons' ? c.buttons.map((b) => b.title) : c.type === 'quickReplies' ? c.replies.map((r) => r.title) : [];
    },
    async dialog(): Promise<unknown> {
      return (await store.getState(conversation.id)).value.dialog;
    },
  };
  return t;
}
