/**
 * Forms and dialog events on the Kore channel: the `form_template` the Web SDK 10.1 renders (its source:
 * templatemanager/templates/formTemplate), what it sends back on submit, session variables from
 * `botInfo.customData`, and which events reach Kore clients.
 */
import { describe, expect, test } from 'vitest';
import { CoreError } from '../../src/core/errors.js';
import type { Entry, Form } from '../../src/core/model.js';
import { decodeFrame } from '../../src/protocols/kore/decode.js';
import { encodeEntry, type KoreView } from '../../src/protocols/kore/encode.js';
import { historyMessage } from '../../src/protocols/kore/history.js';
import { messageObject } from '../../src/protocols/kore/templates.js';

const view: KoreView = { deviceId: 'd-1', botInfo: { chatBot: 'Bot', taskBotId: 'st-1' }, icon: undefined };
const entry = (body: Entry['body']): Entry => ({ id: 'ms-1', seq: 7, conversationId: 'c-1', at: 1_700_000_000_000, from: { role: 'bot', id: 'st-1' }, sessionId: 's-1', body });

const FORM: Form = {
  id: 'fm-1',
  title: 'Hardware request',
  submitLabel: 'Send request',
  fields: [
    { name: 'quantity', label: 'Quantity', type: 'number', required: true, min: 1, max: 5, placeholder: '1 to 5' },
    { name: 'neededBy', label: 'Needed by', type: 'date', required: true },
    { name: 'reason', label: 'Reason', type: 'textarea', maxLength: 500 },
    { name: 'item', label: 'Device', type: 'dropdown', options: [{ value: 'laptop', label: 'Laptop' }, { value: 'mouse', label: 'Mouse' }] },
    { name: 'urgent', label: 'Urgent', type: 'boolean' },
  ],
};

describe('encoding a form', () => {
  test('form_template with one input per field, and a submit button (a type other than url/postback)', () => {
    expect(messageObject({ type: 'form', form: FORM })).toEqual({
      type: 'template',
      payload: {
        template_type: 'form_template',
        heading: 'Hardware request',
        formFields: [
          { key: 'quantity', label: 'Quantity', type: 'number', inputType: 'number', placeholder: '1 to 5' },
          { key: 'neededBy', label: 'Needed by', type: 'date', placeholder: 'YYYY-MM-DD' },
          { key: 'reason', label: 'Reason', type: 'text', placeholder: '', maxLength: 500 },
          // Field types the SDK cannot draw degrade to text inputs that say what to write.
          { key: 'item', label: 'Device', type: 'text', placeholder: 'one of: Laptop, Mouse' },
          { key: 'urgent', label: 'Urgent', type: 'text', placeholder: 'yes or no' },
        ],
        buttons: [{ title: 'Send request', type: 'submit' }],
        formId: 'fm-1',
      },
    });
  });

  test('as a bot_response the SDK unwraps to the template; history carries it as JSON text', () => {
    const f = JSON.parse(encodeEntry(entry({ kind: 'bot_message', content: { type: 'form', form: FORM } }), view) as string);
    expect(f.message[0].component.type).toBe('template');
    expect(f.message[0].component.payload.payload.template_type).toBe('form_template');
    expect(JSON.parse(f.message[0].cInfo.body)).toEqual(f.message[0].component.payload);
    const h = historyMessage(entry({ kind: 'bot_message', content: { type: 'form', form: FORM } }), 'st-1', 'u-1')!;
    expect(JSON.parse((h['components'] as { data: { text: string } }[])[0]!.data.text).payload.template_type).toBe('form_template');
  });
});

describe('decoding what the SDK sends', () => {
  const frame = (message: Record<string, unknown>, botInfo: Record<string, unknown> = { chatBot: 'Bot', taskBotId: 'st-1' }) =>
    JSON.stringify({ clientMessageId: 5, resourceid: '/bot.message', message, botInfo, client: 'sdk', id: 5 });

  test('a submitted form: the values as JSON text, no renderMsg → a form submission read as text', () => {
    const body = JSON.stringify({ quantity: '2', neededBy: '2030-01-15', reason: 'New hires' });
    const d = decodeFrame(frame({ body }));
    if (d instanceof CoreError) throw d;
    expect(d.command).toEqual({
      type: 'message',
      input: { text: body, display: 'quantity: 2 · neededBy: 2030-01-15 · reason: New hires', form: { values: { quantity: '2', neededBy: '2030-01-15', reason: 'New hires' }, typed: false } },
      clientMessageId: '5',
    });
  });

  test('JSON typed by a user with a renderMsg, or with non-text values, stays text', () => {
    for (const message of [{ body: '{"a":"b"}', renderMsg: 'A' }, { body: '{"a":1}' }, { body: '{}' }, { body: '{not json}' }]) {
      const d = decodeFrame(frame(message));
      if (d instanceof CoreError) throw d;
      expect(d.command.type === 'message' && d.command.input.form).toBeUndefined();
    }
  });

  test('botInfo.customData becomes session variables (scalars only)', () => {
    const d = decodeFrame(frame({ body: 'hi' }, { chatBot: 'Bot', taskBotId: 'st-1', customData: { department: 'Sales', level: 3, vip: true, nested: { no: 1 } } }));
    if (d instanceof CoreError) throw d;
    expect(d.command).toMatchObject({ type: 'message', sessionVars: { department: 'Sales', level: 3, vip: true } });
  });
});

describe('dialog events on the Kore channel', () => {
  test('form events name the form in formMetaInfo; a failure lists the errors', () => {
    const f = JSON.parse(encodeEntry(entry({ kind: 'event', name: 'form_failure', detail: { form: { id: 'fm-1', errors: [{ field: 'quantity', message: 'too many' }] } } }), view) as string);
    expect(f).toEqual({
      type: 'form_failure',
      from: 'bot',
      botInfo: view.botInfo,
      sessionId: 's-1',
      formMetaInfo: { formId: 'fm-1', errors: [{ field: 'quantity', message: 'too many' }] },
      timestamp: 1_700_000_000_000,
      seq: 7,
    });
  });

  test('flow and hand-off-request events are not Kore RTM events: not sent to Kore clients', () => {
    expect(encodeEntry(entry({ kind: 'event', name: 'flow_started', detail: { flow: { id: 'f', runId: 'r' } } }), view)).toBeNull();
    expect(encodeEntry(entry({ kind: 'event', name: 'flow_completed', detail: { flow: { id: 'f', runId: 'r', status: 'completed' } } }), view)).toBeNull();
    expect(encodeEntry(entry({ kind: 'event', name: 'handoff_requested', detail: { handoff: { queue: 'it' } } }), view)).toBeNull();
  });
});
