/**
 * Log entries → Kore RTM server frames (src/protocols/kore/encode.ts, templates.ts) per
 * reference/kore-web-sdk.md §B.4–§B.6 and the seed's "RTM Server Events".
 */
import { describe, expect, test } from 'vitest';
import { CoreError } from '../../src/core/errors.js';
import type { Content, Entry, EntryBody, EventName, HandoffDetail } from '../../src/core/model.js';
import { ackFrame, botActiveFrame, encodeEntry, errorFrame, pongFrame, type KoreView } from '../../src/protocols/kore/encode.js';

const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const view: KoreView = { deviceId: 'd-1', botInfo: { chatBot: 'StubBot', taskBotId: 'st-1' }, icon: 'https://cdn.example/icon.png' };
const other: KoreView = { ...view, deviceId: 'd-2' };

let n = 0;
const entry = (body: EntryBody, extra: Partial<Entry> = {}): Entry => ({
  id: `ms-${++n}`,
  seq: n,
  conversationId: 'c-1',
  at: AT,
  from: body.kind === 'user_message' ? { role: 'user', id: 'u-1' } : body.kind === 'event' ? { role: 'system', id: 'system' } : { role: 'bot', id: 'st-1' },
  sessionId: 's-1',
  body,
  ...extra,
});
const bot = (content: Content, extra: Partial<Entry> = {}) => entry({ kind: 'bot_message', content }, extra);
const frame = (e: Entry, v: KoreView = view): Record<string, any> => {
  const text = encodeEntry(e, v);
  if (text === null) throw new Error('expected a frame for this device');
  if (typeof text !== 'string') throw new Error('expected one frame');
  return JSON.parse(text);
};

/** What the Web SDK's chat window does with message[0] (chatWindow.ts:993-1008, §B.5 "Unwrap rule"). */
function sdkUnwrap(f: Record<string, any>): { component: any; body: string } {
  const m = f['message'][0];
  let component = m.component;
  let body = m.cInfo.body;
  if (component && !component.payload.text) component = typeof component.payload === 'string' ? JSON.parse(component.payload) : component.payload;
  if (component?.payload?.text) body = component.payload.text;
  return { component, body };
}

describe('bot_response (§B.5)', () => {
  test('text: the canonical shape the platform sends', () => {
    const e = bot({ type: 'text', text: 'Im SDKBot.' });
    expect(frame(e)).toEqual({
      type: 'bot_response',
      from: 'bot',
      message: [{ type: 'text', component: { type: 'text', payload: { text: 'Im SDKBot.' } }, cInfo: { body: 'Im SDKBot.' } }],
      messageId: e.id,
      botInfo: { chatBot: 'StubBot', taskBotId: 'st-1' },
      createdOn: '2024-01-02T03:04:05.678Z',
      timestamp: AT,
      key: e.id,
      icon: 'https://cdn.example/icon.png',
      sessionId: 's-1',
      seq: e.seq,
    });
  });

  test('without a bot icon there is no icon field', () => {
    expect(frame(bot({ type: 'text', text: 'x' }), { ...view, icon: undefined })).not.toHaveProperty('icon');
  });

  test('every device of the conversation gets bot messages', () => {
    const e = bot({ type: 'text', text: 'x' });
    expect(encodeEntry(e, view)).toBe(encodeEntry(e, other));
  });

  test('a template M is wrapped as component {type: M.type, payload: M}, cInfo.body = JSON.stringify(M)', () => {
    const f = frame(bot({ type: 'quickReplies', text: 'Pick a color:', replies: [{ title: 'Red', payload: 'RED' }] }));
    const M = { type: 'template', payload: { template_type: 'quick_replies', text: 'Pick a color:', quick_replies: [{ content_type: 'text', title: 'Red', payload: 'RED' }] } };
    expect(f['message']).toEqual([{ type: 'text', component: { type: 'template', payload: M }, cInfo: { body: JSON.stringify(M) } }]);
    expect(sdkUnwrap(f).component.payload.template_type).toBe('quick_replies');
  });
});

describe('templates (§B.6), as the Web SDK selects them after unwrapping', () => {
  const M = (content: Content) => {
    const m = frame(bot(content))['message'][0];
    expect(JSON.parse(m.cInfo.body)).toEqual(m.component.payload);
    expect(m.component.type).toBe(m.component.payload.type);
    return m.component.payload;
  };

  test('button: postback and web_url buttons', () => {
    expect(
      M({
        type: 'buttons',
        text: 'Button Template Label',
        buttons: [
          { kind: 'postback', title: 'Button1', payload: 'payload1' },
          { kind: 'link', title: 'Docs', url: 'https://docs.example' },
        ],
      }),
    ).toEqual({
      type: 'template',
      payload: {
        template_type: 'button',
        text: 'Button Template Label',
        buttons: [
          { type: 'postback', title: 'Button1', payload: 'payload1' },
          { type: 'web_url', title: 'Docs', url: 'https://docs.example' },
        ],
      },
    });
  });

  test('quick replies, with an optional image_url', () => {
    expect(
      M({ type: 'quickReplies', text: 'Quick reply label', replies: [{ title: 'quickReply1', payload: 'payload1', imageUrl: 'https://img.example/1.png' }, { title: 'q2', payload: 'p2' }] }),
    ).toEqual({
      type: 'template',
      payload: {
        template_type: 'quick_replies',
        text: 'Quick reply label',
        quick_replies: [
          { content_type: 'text', title: 'quickReply1', payload: 'payload1', image_url: 'https://img.example/1.png' },
          { content_type: 'text', title: 'q2', payload: 'p2' },
        ],
      },
    });
  });

  test('carousel: elements with title, image_url, subtitle, default_action and buttons', () => {
    const card = { title: 'T', subtitle: 'S', imageUrl: 'https://img.example/t.png', url: 'https://t.example', buttons: [{ kind: 'postback' as const, title: 'Buy', payload: 'buy t' }] };
    expect(M({ type: 'carousel', cards: [card, { title: 'Bare' }] })).toEqual({
      type: 'template',
      payload: {
        template_type: 'carousel',
        elements: [
          { title: 'T', subtitle: 'S', image_url: 'https://img.example/t.png', default_action: { type: 'web_url', url: 'https://t.example' }, buttons: [{ type: 'postback', title: 'Buy', payload: 'buy t' }] },
          { title: 'Bare' },
        ],
      },
    });
  });

  test('list: elements and a "View More" button', () => {
    expect(
      M({ type: 'list', title: 'Offers', items: [{ title: 'A', subtitle: 'a' }], buttons: [{ kind: 'postback', title: 'View More', payload: 'more' }] }),
    ).toEqual({
      type: 'template',
      payload: { template_type: 'list', text: 'Offers', elements: [{ title: 'A', subtitle: 'a' }], buttons: [{ type: 'postback', title: 'View More', payload: 'more' }] },
    });
  });

  test.each(['image', 'audio', 'video', 'link'] as const)('media %s: component.type is the media type, payload.url', (media) => {
    const f = frame(bot({ type: 'media', media, url: `https://media.example/x.${media}` }));
    expect(f['message'][0].component).toEqual({ type: media, payload: { type: media, payload: { url: `https://media.example/x.${media}` } } });
    expect(sdkUnwrap(f).component).toEqual({ type: media, payload: { url: `https://media.example/x.${media}` } });
  });

  test('every template has a payload (component without payload throws in the SDK)', () => {
    const contents: Content[] = [
      { type: 'text', text: 't' },
      { type: 'buttons', text: 'b', buttons: [] },
      { type: 'quickReplies', text: 'q', replies: [] },
      { type: 'carousel', cards: [] },
      { type: 'list', items: [] },
      { type: 'media', media: 'image', url: 'u' },
    ];
    for (const c of contents) expect(frame(bot(c))['message'][0].component.payload).toBeTypeOf('object');
  });
});

describe('user_message (the seed\'s "another simultaneous session")', () => {
  const said = (origin: Entry['origin'], input = { text: 'how are you doing' } as { text: string; display?: string }) =>
    entry({ kind: 'user_message', input }, origin ? { origin } : {});

  test('is not sent back to the device that sent it (§B.4: it would show twice)', () => {
    expect(encodeEntry(said({ deviceId: 'd-1', clientMessageId: '1466692871803' }), view)).toBeNull();
  });

  test('other devices get from:"self" with the numeric client id', () => {
    const e = said({ deviceId: 'd-2', clientMessageId: '1466692871803' });
    expect(frame(e)).toEqual({
      type: 'user_message',
      from: 'self',
      message: { body: 'how are you doing', attachments: [] },
      id: 1466692871803,
      messageId: e.id,
      botInfo: view.botInfo,
      createdOn: '2024-01-02T03:04:05.678Z',
      seq: e.seq,
    });
  });

  test('a button choice shows its title; a non-numeric client id stays a string; no client id uses the entry id', () => {
    expect(frame(said({ deviceId: 'd-2', clientMessageId: 'abc' }, { text: 'fruit apple', display: 'Apple' }))).toMatchObject({ message: { body: 'Apple' }, id: 'abc' });
    const e = said({ deviceId: 'd-2' });
    expect(frame(e)['id']).toBe(e.id);
  });

  test('attachments are forwarded', () => {
    const e = entry({ kind: 'user_message', input: { text: '', attachments: [{ fileId: 'f-1', fileName: 'a.pdf' }] } }, { origin: { deviceId: 'd-2' } });
    expect(frame(e)['message']).toEqual({ body: '', attachments: [{ fileId: 'f-1', fileName: 'a.pdf' }] });
  });
});

describe('audience', () => {
  test('an entry for one device (a welcome) reaches only that device', () => {
    const welcome = bot({ type: 'text', text: 'Welcome!' }, { audience: { deviceId: 'd-2' } });
    expect(encodeEntry(welcome, view)).toBeNull();
    expect(frame(welcome, other)['message'][0].cInfo.body).toBe('Welcome!');
  });

  test('audience applies to events too', () => {
    expect(encodeEntry(entry({ kind: 'event', name: 'waiting_for_user_input' }, { audience: { deviceId: 'd-2' } }), view)).toBeNull();
  });
});

describe('events (seed "Session Events" …)', () => {
  test('session_start', () => {
    const e = entry({ kind: 'event', name: 'session_start' });
    expect(frame(e)).toEqual({ type: 'session_start', from: 'bot', botInfo: view.botInfo, sessionId: 's-1', timestamp: AT, seq: e.seq });
  });

  test('session_end carries its reason', () => {
    expect(frame(entry({ kind: 'event', name: 'session_end', reason: 'idle' }))).toMatchObject({ type: 'session_end', from: 'bot', reason: 'idle', sessionId: 's-1' });
  });

  test.each(['waiting_for_user_input', 'form_delivered', 'form_submitted', 'form_failure', 'agent_session_start', 'agent_session_end'] as const)(
    '%s keeps its name as the frame type',
    (name) => expect(frame(entry({ kind: 'event', name }))).toMatchObject({ type: name, from: 'bot' }),
  );
});

describe('control frames', () => {
  test('ack, as in the seed, plus the seq', () => {
    expect(JSON.parse(ackFrame(1466692440896, 7))).toEqual({ ok: true, replyto: 1466692440896, message: 'delivered', type: 'ack', seq: 7 });
    expect(JSON.parse(ackFrame('abc', 1)).replyto).toBe('abc');
  });

  test('pong echoes the ping id', () => {
    expect(JSON.parse(pongFrame(3))).toEqual({ ok: true, type: 'pong', replyto: 3 });
  });

  test('bot_active', () => {
    expect(JSON.parse(botActiveFrame(view, 's-9'))).toEqual({ type: 'bot_active', from: 'bot', botInfo: view.botInfo, sessionId: 's-9' });
  });

  test('error frames carry the code, the message, retryable and the data', () => {
    expect(JSON.parse(errorFrame(new CoreError('RATE_LIMITED', undefined, { retryAfterMs: 1500 }), 4))).toEqual({
      type: 'error',
      ok: false,
      replyto: 4,
      error: { code: 'RATE_LIMITED', msg: 'Too many messages; wait before sending more.', retryable: true, retryAfterMs: 1500 },
    });
  });
});

describe('live-agent handoff on the Kore wire', () => {
  const agent = { id: 'ag-dana', name: 'Dana' };
  const event = (name: EventName, handoff: HandoffDetail) => entry({ kind: 'event', name, detail: { handoff } });

  test("an agent's message is a `live_agent` template bubble the SDK draws as the agent's", () => {
    const f = frame(bot({ type: 'text', text: 'Hi, Dana here.' }, { from: { role: 'agent', id: 'ag-dana' } }));
    expect(f).toMatchObject({ type: 'bot_response', from: 'bot' });
    const { component, body } = sdkUnwrap(f);
    expect(component).toEqual({ type: 'template', payload: { template_type: 'live_agent', text: 'Hi, Dana here.' } });
    expect(body).toBe('Hi, Dana here.');
  });

  test('an agent joining: the seed event agent_session_start, then a bubble that says who joined', () => {
    const frames = encodeEntry(event('agent_session_start', { id: 'h-1', queue: 'it', agent }), view);
    expect(Array.isArray(frames)).toBe(true);
    const [ev, said] = (frames as readonly string[]).map((t) => JSON.parse(t));
    expect(ev).toMatchObject({ type: 'agent_session_start', from: 'bot', agentInfo: agent });
    expect(sdkUnwrap(said!).component.payload).toEqual({ template_type: 'live_agent', text: 'Dana joined the chat.' });
  });

  test('the end of an agent chat is the seed event agent_session_end; typing and the first queueing send nothing', () => {
    expect(frame(event('agent_session_end', { id: 'h-1', agent, ended: 'agentCompleted' }))).toMatchObject({ type: 'agent_session_end', agentInfo: agent });
    expect(encodeEntry(event('agent_typing', { id: 'h-1', agent, typing: true }), view)).toBeNull();
    expect(encodeEntry(event('handoff_queued', { id: 'h-1', queue: 'it' }), view)).toBeNull();
  });

  test('queue position and transfers are said in bot bubbles (the SDK shows no events)', () => {
    expect(sdkUnwrap(frame(event('handoff_waiting', { id: 'h-1', position: 3, etaSec: 150 }))).body).toBe('You are number 3 in line. Estimated wait: about 3 minutes.');
    expect(sdkUnwrap(frame(event('handoff_waiting', { id: 'h-1', position: 1, etaSec: 40 }))).body).toBe('You are next in line. Estimated wait: about 1 minute.');
    expect(sdkUnwrap(frame(event('handoff_queued', { id: 'h-1', queue: 'it', agent: { id: 'ag-sam', name: 'Sam' }, transferred: true }))).body).toBe(
      "Please wait, I'm transferring you to Sam.",
    );
  });
});

describe('markdown for the SDK', () => {
  test("CommonMark bold becomes the SDK's *bold*; lone asterisks and plain text are left alone", async () => {
    const { koreMarkdown } = await import('../../src/protocols/kore/templates.js');
    expect(koreMarkdown('**VPN troubleshooting**\n\nIf the VPN does not connect')).toBe('*VPN troubleshooting*\n\nIf the VPN does not connect');
    expect(koreMarkdown('a **b c** d **e**')).toBe('a *b c* d *e*');
    expect(koreMarkdown('5 * 3 = 15, ** alone')).toBe('5 * 3 = 15, ** alone');
    expect(koreMarkdown('plain')).toBe('plain');
    expect(frame(bot({ type: 'text', text: '**Bold** move' }))['message'][0].cInfo.body).toBe('*Bold* move');
  });
});
