/**
 * Log entries → elements of the `botmessages/rtm` history answer (src/protocols/kore/history.ts), in the
 * shape of the seed's "Get Conversation History" sample response.
 */
import { describe, expect, test } from 'vitest';
import type { Entry, EntryBody } from '../../src/core/model.js';
import { historyMessage } from '../../src/protocols/kore/history.js';
import { historyText } from '../../src/protocols/kore/templates.js';

/** The seed's first sample message (type "incoming"), verbatim. */
const SEED_INCOMING = {
  _id: 'ms-8a83d099-dd93-5b6b-836b-ac77bdfe9d4a',
  channels: [{ type: 'rtm' }],
  type: 'incoming',
  status: 'sent to cs',
  createdBy: 'u-211f287f-17c8-51ac-b768-15c68e19afb2',
  lmodifiedBy: 'u-211f287f-17c8-51ac-b768-15c68e19afb2',
  lmodifiedOn: '2019-12-03T05:07:44.008Z',
  botId: 'st-2f579dbf-9dc1-548c-972f-f19d33160a07',
  orgId: 'o-44741779-1971-5ab9-a0f7-aaf4e21dbe4e',
  accountId: '5a675150ff600b3d7665d2a6',
  isBB: 0,
  ms: 1,
  chnl: 'rtm',
  components: [{ _id: 'cp-1edc5033-a9cb-5011-8b2b-5986b7fa45cc', cT: 'text', data: { text: 'Hi' }, thumbnails: [] }],
  createdOn: '2019-12-03T05:07:44.097Z',
  timestampValue: 1575349664097,
  __v: 0,
  lang: 'en',
  sessionId: '5de5eda04cdcff145752dbf6',
  nodeType: 0,
  tr0_I: 'dg-61e5609f-76e7-5c42-b66f-7bb8b3af2433:intent0',
  tr0_O: 'dg-61e5609f-76e7-5c42-b66f-7bb8b3af2433:entity1:4a04988ee640428d1847fc433081be0b',
  tr0_T: '0',
  tr_isSS: 1,
  resourceid: 'messagestore',
  tags: { messageTags: [], userTags: [], sessionTags: [] },
};
/** Fields Colloquy adds beyond the seed's sample. */
const OURS = ['seq', 'attachments'];

const BOT = 'st-2f579dbf-9dc1-548c-972f-f19d33160a07';
const USER = 'u-211f287f-17c8-51ac-b768-15c68e19afb2';
const entry = (body: EntryBody, extra: Partial<Entry> = {}): Entry => ({
  id: 'ms-8a83d099-dd93-5b6b-836b-ac77bdfe9d4a',
  seq: 2,
  conversationId: 'c-1',
  at: 1575349664097,
  from: body.kind === 'user_message' ? { role: 'user', id: USER } : { role: 'bot', id: BOT },
  sessionId: '5de5eda04cdcff145752dbf6',
  body,
  ...extra,
});
const history = (e: Entry) => {
  const m = historyMessage(e, BOT, USER);
  if (m === null) throw new Error('expected a history message');
  return m as Record<string, any>;
};

describe('history elements', () => {
  test('a user message is "incoming", shaped like the seed sample', () => {
    const m = history(entry({ kind: 'user_message', input: { text: 'Hi' } }));
    expect(m).toEqual({
      _id: 'ms-8a83d099-dd93-5b6b-836b-ac77bdfe9d4a',
      channels: [{ type: 'rtm' }],
      type: 'incoming',
      status: 'received',
      createdBy: USER,
      lmodifiedBy: USER,
      lmodifiedOn: '2019-12-03T05:07:44.097Z',
      botId: BOT,
      chnl: 'rtm',
      components: [{ _id: 'cp-8a83d099-dd93-5b6b-836b-ac77bdfe9d4a', cT: 'text', data: { text: 'Hi' }, thumbnails: [] }],
      createdOn: '2019-12-03T05:07:44.097Z',
      timestampValue: 1575349664097,
      lang: 'en',
      sessionId: '5de5eda04cdcff145752dbf6',
      resourceid: 'messagestore',
      seq: 2,
      tags: { messageTags: [], userTags: [], sessionTags: [] },
    });
    expect(Object.keys(m).filter((k) => !(k in SEED_INCOMING) && !OURS.includes(k))).toEqual([]);
  });

  test('the fields the Web SDK reads have the seed sample\'s types', () => {
    const m = history(entry({ kind: 'user_message', input: { text: 'Hi' } }));
    for (const key of ['_id', 'type', 'createdOn', 'botId', 'sessionId', 'resourceid'] as const) expect(typeof m[key]).toBe(typeof SEED_INCOMING[key]);
    expect(typeof m['timestampValue']).toBe('number');
    expect(Object.keys(m['components'][0]).sort()).toEqual(Object.keys(SEED_INCOMING.components[0]!).sort());
  });

  test('a bot message is "outgoing" with its text in components[0].data.text', () => {
    const m = history(entry({ kind: 'bot_message', content: { type: 'text', text: 'Please enter the text to comment on the issue' } }));
    expect(m).toMatchObject({ type: 'outgoing', components: [{ cT: 'text', data: { text: 'Please enter the text to comment on the issue' } }] });
  });

  test('a template is stored as its message object in JSON text, as the SDK parses it back', () => {
    const content = { type: 'buttons', text: 'Pick', buttons: [{ kind: 'postback', title: 'A', payload: 'a' }] } as const;
    const m = history(entry({ kind: 'bot_message', content }));
    expect(JSON.parse(m['components'][0].data.text)).toEqual({
      type: 'template',
      payload: { template_type: 'button', text: 'Pick', buttons: [{ type: 'postback', title: 'A', payload: 'a' }] },
    });
    expect(m['components'][0].data.text).toBe(historyText(content));
  });

  test('a button choice shows its title, as the live bubble did', () => {
    expect(history(entry({ kind: 'user_message', input: { text: 'fruit apple', display: 'Apple' } }))['components'][0].data.text).toBe('Apple');
  });

  test('user attachments are listed', () => {
    const m = history(entry({ kind: 'user_message', input: { text: '', attachments: [{ fileId: 'f-1' }] } }));
    expect(m['attachments']).toEqual([{ fileId: 'f-1' }]);
  });

  test('events are not history messages', () => {
    expect(historyMessage(entry({ kind: 'event', name: 'session_start' }), BOT, USER)).toBeNull();
  });

  test('an entry without a session has no sessionId', () => {
    const { sessionId: _none, ...rest } = entry({ kind: 'bot_message', content: { type: 'text', text: 'x' } });
    expect(history(rest as Entry)).not.toHaveProperty('sessionId');
  });
});

describe('historyText', () => {
  test('plain text is the text; anything else is the template JSON', () => {
    expect(historyText({ type: 'text', text: 'Hi' })).toBe('Hi');
    expect(JSON.parse(historyText({ type: 'media', media: 'image', url: 'https://i.example/a.png' }))).toEqual({ type: 'image', payload: { url: 'https://i.example/a.png' } });
  });
});
