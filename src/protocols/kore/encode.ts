import type { CoreError } from '../../core/errors.js';
import { FixedMemo } from '../../core/fixed-json.js';
import type { Content, Entry, EventName } from '../../core/model.js';
import { messageObject } from './templates.js';

/** What an encoder needs to know about the connection and its bot. */
export interface KoreView {
  readonly deviceId: string;
  readonly botInfo: { readonly chatBot: string; readonly taskBotId: string };
  readonly icon: string | undefined;
}

const q = JSON.stringify;

/** The conversation events Kore's RTM knows (seed 002); others are not sent to Kore clients. */
const KORE_EVENTS: ReadonlySet<EventName> = new Set<EventName>([
  'session_start',
  'session_end',
  'waiting_for_user_input',
  'form_delivered',
  'form_submitted',
  'form_failure',
  'agent_session_start',
  'agent_session_end',
]);

/** The wire form of one `bot_response` message element, as the Web SDK reads it (reference §B.5). */
function messageElement(entry: Entry & { body: { kind: 'bot_message' } }): string {
  // A human agent's words: the SDK's `live_agent` template draws an agent bubble.
  if (entry.from.role === 'agent' && entry.body.content.type === 'text') return liveAgentElement(entry.body.content.text);
  return fixedElements.get(entry.body.content) ?? contentElement(entry.body.content);
}

/** Elements of fixed contents (a message node without variables), built once. */
const fixedElements = new FixedMemo<string>((content) => contentElement(content as Content));

function contentElement(content: Content): string {
  const m = messageObject(content);
  if (typeof m === 'string') {
    const t = q(m);
    return `{"type":"text","component":{"type":"text","payload":{"text":${t}}},"cInfo":{"body":${t}}}`;
  }
  const json = q(m);
  return `{"type":"text","component":{"type":${q(m.type)},"payload":${json}},"cInfo":{"body":${q(json)}}}`;
}

function liveAgentElement(text: string): string {
  const payload = q({ template_type: 'live_agent', text });
  return `{"type":"text","component":{"type":"template","payload":${payload}},"cInfo":{"body":${q(text)}}}`;
}

/**
 * The part of a `bot_response` that is the same for every connection, built once per entry: a message
 * fanned out to several windows is serialised once. A fan-out encodes an entry for all its connections in one
 * synchronous pass, so the memo lives only until the current task ends (a microtask empties it): kept across
 * ticks, every recent frame would still be alive at the next young-generation GC and be promoted, only to die
 * in the old generation (measured: ~0.5 KB per round trip promoted with a 64-entry memo).
 */
const TICK_ENTRIES = 32;
const tickEntries: Entry[] = [];
const tickParts: string[] = [];
const forgetTick = (): void => {
  tickEntries.length = 0;
  tickParts.length = 0;
};
function botResponseParts(entry: Entry & { body: { kind: 'bot_message' } }): string {
  const i = tickEntries.indexOf(entry);
  if (i >= 0) return tickParts[i]!;
  const id = q(entry.id);
  const parts =
    `"message":[${messageElement(entry)}],"messageId":${id},"createdOn":"${new Date(entry.at).toISOString()}",` +
    `"timestamp":${entry.at},"key":${id}${entry.sessionId !== undefined ? `,"sessionId":${q(entry.sessionId)}` : ''},"seq":${entry.seq}`;
  // (A catch-up of hundreds of entries to one connection gains nothing from the memo: only the first few are kept.)
  if (tickEntries.length === 0) queueMicrotask(forgetTick);
  if (tickEntries.length < TICK_ENTRIES) {
    tickEntries.push(entry);
    tickParts.push(parts);
  }
  return parts;
}

/** The per-connection part (bot info and icon), built once per view. */
const viewParts = new WeakMap<KoreView, string>();
function viewPart(view: KoreView): string {
  let part = viewParts.get(view);
  if (part === undefined) {
    part = `"botInfo":${q(view.botInfo)}${view.icon !== undefined ? `,"icon":${q(view.icon)}` : ''}`;
    viewParts.set(view, part);
  }
  return part;
}

/**
 * One log entry → the frame this connection should receive, serialised; `null` when the entry is not
 * for this connection (the device's own message, which it already shows, or a message for another device).
 */
export function encodeEntry(entry: Entry, view: KoreView): string | readonly [string, string] | null {
  if (entry.audience && entry.audience.deviceId !== view.deviceId) return null;
  const body = entry.body;
  switch (body.kind) {
    case 'bot_message':
      return `{"type":"bot_response","from":"bot",${botResponseParts(entry as Entry & { body: typeof body })},${viewPart(view)}}`;
    case 'user_message': {
      if (entry.origin?.deviceId === view.deviceId) return null;
      const numeric = Number(entry.origin?.clientMessageId);
      return JSON.stringify({
        type: 'user_message',
        from: 'self',
        message: {
          body: body.input.display ?? body.input.text,
          attachments: body.input.attachments ?? [],
        },
        id: Number.isSafeInteger(numeric) ? numeric : (entry.origin?.clientMessageId ?? entry.id),
        messageId: entry.id,
        botInfo: view.botInfo,
        createdOn: new Date(entry.at).toISOString(),
        seq: entry.seq,
      });
    }
    case 'event': {
      const notice = handoffNotice(entry);
      if (notice !== undefined) return notice === null ? null : noticeFrame(entry, notice, view);
      // Kore's RTM has no flow or hand-off-request events; those are for other channels (and the log).
      if (!KORE_EVENTS.has(body.name)) return null;
      const form = body.detail?.form;
      const agent = body.detail?.handoff?.agent;
      const event = JSON.stringify({
        type: body.name,
        from: 'bot',
        botInfo: view.botInfo,
        ...(entry.sessionId !== undefined ? { sessionId: entry.sessionId } : {}),
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
        // The seed's form events carry `formMetaInfo`; ours names the form (and, on failure, what was wrong).
        ...(form ? { formMetaInfo: { formId: form.id, ...(form.errors ? { errors: form.errors } : {}) } } : {}),
        ...(agent ? { agentInfo: { id: agent.id, name: agent.name } } : {}),
        timestamp: entry.at,
        seq: entry.seq,
      });
      // The SDK shows no event; who joined is said in an agent bubble too.
      if (body.name === 'agent_session_start' && agent) return [event, noticeFrame(entry, { text: `${agent.name} joined the chat.` }, view, true)];
      return event;
    }
  }
}

/**
 * What the Web SDK user should read about a handoff, which the SDK would not show as an event: the place in
 * the queue, a transfer, who joined. `undefined`: not such an event (encode it as an event).
 */
function handoffNotice(entry: Entry): { text: string } | null | undefined {
  if (entry.body.kind !== 'event') return undefined;
  const h = entry.body.detail?.handoff;
  switch (entry.body.name) {
    case 'handoff_waiting': {
      if (h?.position === undefined) return null;
      const minutes = h.etaSec !== undefined ? Math.max(1, Math.round(h.etaSec / 60)) : undefined;
      const wait = minutes !== undefined ? ` Estimated wait: about ${minutes} minute${minutes === 1 ? '' : 's'}.` : '';
      return { text: h.position === 1 ? `You are next in line.${wait}` : `You are number ${h.position} in line.${wait}` };
    }
    case 'handoff_queued':
      return h?.transferred ? { text: `Please wait, I'm transferring you to ${h.agent ? h.agent.name : 'another agent'}.` } : null;
    case 'agent_typing':
      return null;
    default:
      return undefined;
  }
}

function noticeFrame(entry: Entry, notice: { text: string }, view: KoreView, agent = false): string {
  const t = q(notice.text);
  return responseFrame(entry, agent ? liveAgentElement(notice.text) : `{"type":"text","component":{"type":"text","payload":{"text":${t}}},"cInfo":{"body":${t}}}`, view);
}

/** A `bot_response` of one element made for an event entry (its id, time and place in the log). */
function responseFrame(entry: Entry, element: string, view: KoreView): string {
  const id = q(entry.id);
  return (
    `{"type":"bot_response","from":"bot","message":[${element}],` +
    `"messageId":${id},"createdOn":"${new Date(entry.at).toISOString()}","timestamp":${entry.at},"key":${id}` +
    `${entry.sessionId !== undefined ? `,"sessionId":${q(entry.sessionId)}` : ''},"seq":${entry.seq},${viewPart(view)}}`
  );
}

/** The seed's ack; `seq` is the stored message's place in the log (absent when nothing was stored). */
export const ackFrame = (replyTo: string | number | null, seq?: number): string =>
  `{"ok":true,"replyto":${q(replyTo)},"message":"delivered","type":"ack"${seq !== undefined ? `,"seq":${seq}` : ''}}`;

export const pongFrame = (replyTo: string | number | null): string => JSON.stringify({ ok: true, type: 'pong', replyto: replyTo });

export const botActiveFrame = (view: KoreView, sessionId: string): string =>
  JSON.stringify({ type: 'bot_active', from: 'bot', botInfo: view.botInfo, sessionId });

/** Colloquy's error frame: ignored by the Web SDK, readable by any client and by people debugging. */
export const errorFrame = (err: CoreError, replyTo: string | number | null): string =>
  JSON.stringify({
    type: 'error',
    ok: false,
    replyto: replyTo,
    error: { code: err.code, msg: err.message, retryable: err.spec.retryable, ...(err.data ?? {}) },
  });
