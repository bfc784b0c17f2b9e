/**
 * Kore RTM client frames → commands (src/protocols/kore/decode.ts), with the exact frames of
 * reference/kore-web-sdk.md §B.2/§B.3 and the seed document (002_…txt, "RTM Client Events").
 * Classification order: ping, ack, close session, client event, message, other client events.
 */
import { describe, expect, test } from 'vitest';
import { CoreError } from '../../src/core/errors.js';
import { decodeFrame, type DecodedFrame } from '../../src/protocols/kore/decode.js';

const botInfo = { chatBot: 'StubBot', taskBotId: 'st-11111111-2222-5333-8444-555555555555' };
const common = { botInfo, client: 'sdk', meta: { timezone: 'Etc/UTC', locale: 'en-US' } };

const decode = (frame: unknown): DecodedFrame => {
  const d = decodeFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  if (d instanceof CoreError) throw new Error(`expected a command, got ${d.code}: ${d.message}`);
  return d;
};
const refuse = (text: string): CoreError => {
  const d = decodeFrame(text);
  if (!(d instanceof CoreError)) throw new Error(`expected MALFORMED_FRAME, got ${JSON.stringify(d)}`);
  return d;
};

describe('keep-alive (§B.2)', () => {
  test('the SDK ping is a ping although its resourceid is /bot.message', () => {
    const raw = '{"type":"ping","resourceid":"/bot.message","botInfo":{"chatBot":"StubBot","taskBotId":"st-…"},"client":"sdk","meta":{"timezone":"Etc/UTC","locale":"en-US"},"id":1}';
    expect(decode(raw)).toEqual({ command: { type: 'ping', id: '1' }, replyTo: 1 });
  });

  test('a ping carrying a message body is still a ping, never a user message', () => {
    expect(decode({ type: 'ping', resourceid: '/bot.message', message: { body: 'hi' }, id: 7 }).command.type).toBe('ping');
  });

  test('a ping without an id replies to null', () => {
    expect(decode({ type: 'ping' })).toEqual({ command: { type: 'ping' }, replyTo: null });
  });
});

describe('user messages (§B.3.1, seed "/bot.message")', () => {
  test('the SDK text frame: trimmed body, numeric clientMessageId echoed as a number', () => {
    const raw =
      '{"clientMessageId":1795275418830,"resourceid":"/bot.message","message":{"body":"hello there"},' +
      '"botInfo":{"chatBot":"StubBot","taskBotId":"st-11111111-2222-5333-8444-555555555555"},' +
      '"client":"sdk","meta":{"timezone":"Etc/UTC","locale":"en-US"},"id":1795275418830}';
    expect(decode(raw)).toEqual({
      command: { type: 'message', input: { text: 'hello there' }, clientMessageId: '1795275418830' },
      replyTo: 1795275418830,
    });
  });

  test('the seed frame with an empty attachments list has no attachments', () => {
    const seed = {
      clientMessageId: 1466692440896,
      message: { body: 'Here is the message.', attachments: [] },
      resourceid: '/bot.message',
      botInfo: { chatBot: 'CNN', taskBotId: 'st-8aaf0939-c34a-5976-8e2e-5c91e685b2ce' },
      id: 1466692440896,
    };
    expect(decode(seed)).toEqual({
      command: { type: 'message', input: { text: 'Here is the message.' }, clientMessageId: '1466692440896' },
      replyTo: 1466692440896,
    });
  });

  test('a frame without resourceid is a user message too', () => {
    expect(decode({ clientMessageId: 5, message: { body: 'x' } }).command).toEqual({ type: 'message', input: { text: 'x' }, clientMessageId: '5' });
  });

  test('surrounding whitespace is trimmed', () => {
    expect(decode({ clientMessageId: 1, message: { body: '  hi \n' } }).command).toMatchObject({ input: { text: 'hi' } });
  });

  test('a button postback: the bot reads the payload, the bubble shows renderMsg (§B.3.2)', () => {
    const frame = { clientMessageId: 2, resourceid: '/bot.message', message: { body: 'fruit apple', renderMsg: 'Apple' }, ...common, id: 2 };
    expect(decode(frame).command).toEqual({ type: 'message', input: { text: 'fruit apple', display: 'Apple' }, clientMessageId: '2' });
  });

  test('renderMsg equal to the body, or empty, adds no display', () => {
    expect(decode({ clientMessageId: 3, message: { body: 'Apple', renderMsg: 'Apple' } }).command).toMatchObject({ input: { text: 'Apple' } });
    expect(decode({ clientMessageId: 3, message: { body: 'Apple', renderMsg: '' } }).command).toEqual({
      type: 'message',
      input: { text: 'Apple' },
      clientMessageId: '3',
    });
  });

  test('an attachment with an empty body is a message (§B.3.5)', () => {
    const frame = {
      clientMessageId: 4,
      resourceid: '/bot.message',
      message: { body: '', attachments: [{ fileName: 'a.pdf', fileType: 'attachment', fileId: 'f-123' }] },
      ...common,
      id: 4,
    };
    expect(decode(frame).command).toEqual({
      type: 'message',
      input: { text: '', attachments: [{ fileId: 'f-123', fileName: 'a.pdf', fileType: 'attachment' }] },
      clientMessageId: '4',
    });
  });

  test('an attachment without fileId, or more than 10 attachments, is malformed', () => {
    expect(refuse(JSON.stringify({ message: { body: '', attachments: [{ fileName: 'a.pdf' }] } })).code).toBe('MALFORMED_FRAME');
    const many = Array.from({ length: 11 }, (_, i) => ({ fileId: `f-${i}` }));
    expect(refuse(JSON.stringify({ message: { body: 'x', attachments: many } })).code).toBe('MALFORMED_FRAME');
    expect(refuse(JSON.stringify({ message: { body: 'x', attachments: 'f-1' } })).code).toBe('MALFORMED_FRAME');
  });

  test('an empty or blank body without attachments is malformed', () => {
    expect(refuse(JSON.stringify({ clientMessageId: 1, resourceid: '/bot.message', message: { body: '' } })).code).toBe('MALFORMED_FRAME');
    expect(refuse(JSON.stringify({ clientMessageId: 1, resourceid: '/bot.message', message: { body: '   ' } })).code).toBe('MALFORMED_FRAME');
  });

  test('a message that is not an object, or a body that is not a string, is malformed', () => {
    expect(refuse(JSON.stringify({ message: 'hello' })).code).toBe('MALFORMED_FRAME');
    expect(refuse(JSON.stringify({ message: { body: 42 } })).code).toBe('MALFORMED_FRAME');
    expect(refuse(JSON.stringify({ message: {} })).code).toBe('MALFORMED_FRAME');
  });
});

describe('other client frames (§B.3.3–6)', () => {
  test('a delivery ack, classified before any message field', () => {
    const frame = { clientMessageId: 1700000000123, type: 'ack', replyto: 1700000000123, status: 'delivered', key: 'ms-abc', ...common, id: 1700000000123 };
    expect(decode(frame)).toEqual({ command: { type: 'deliveryAck', messageId: 'ms-abc' }, replyTo: 1700000000123 });
    expect(decode({ type: 'ack', message: { body: 'x' } }).command).toEqual({ type: 'deliveryAck' });
  });

  test('close conversation session', () => {
    const frame = { clientMessageId: 1700000000999, resourceid: '/bot.closeConversationSession', ...common, id: 1700000000999 };
    expect(decode(frame)).toEqual({ command: { type: 'closeSession', clientMessageId: '1700000000999' }, replyTo: 1700000000999 });
  });

  test('close session wins over a message body', () => {
    expect(decode({ resourceid: '/bot.closeConversationSession', message: { body: 'bye' } }).command.type).toBe('closeSession');
  });

  test('agent-desktop events with an empty message body are client events, not malformed messages', () => {
    for (const event of ['typing', 'stop_typing', 'message_read', 'message_delivered', 'close_agent_chat']) {
      expect(decode({ event, message: { body: '', type: '' }, messageId: 'ms-1' }).command).toEqual({ type: 'clientEvent', event });
    }
  });

  test('a /bot.clientEvent names its preDefinedEvent', () => {
    expect(decode({ resourceid: '/bot.clientEvent', preDefinedEvent: { type: 'TYPING' }, clientMessageId: 'e1' })).toEqual({
      command: { type: 'clientEvent', event: 'TYPING', clientMessageId: 'e1' },
      replyTo: 'e1',
    });
    expect(decode({ resourceid: '/bot.clientEvent' }).command).toEqual({ type: 'clientEvent', event: 'clientEvent' });
  });

  test('a message under another resource is not a user message', () => {
    expect(decode({ resourceid: '/bot.clientEvent', message: { body: 'hi' } }).command.type).toBe('clientEvent');
    expect(refuse(JSON.stringify({ resourceid: '/something.else', message: { body: 'hi' } })).code).toBe('MALFORMED_FRAME');
  });
});

describe('frames that are not frames', () => {
  test.each([
    ['not JSON', 'hello'],
    ['truncated JSON', '{"type":"ping"'],
    ['an array', '[{"type":"ping"}]'],
    ['null', 'null'],
    ['a string', '"ping"'],
    ['a number', '42'],
    ['an object of no known shape', '{"foo":1}'],
  ])('%s is MALFORMED_FRAME, answered with an error frame (no close)', (_what, text) => {
    const err = refuse(text);
    expect(err.code).toBe('MALFORMED_FRAME');
    expect(err.spec.close).toBeNull();
  });
});

describe('replyTo: the client id echoed in ack/pong keeps its JSON type', () => {
  test('a string clientMessageId stays a string; the command id is always a string', () => {
    expect(decode({ clientMessageId: 'abc-1', message: { body: 'x' } })).toMatchObject({ replyTo: 'abc-1', command: { clientMessageId: 'abc-1' } });
  });

  test('a numeric clientMessageId stays a number', () => {
    expect(decode({ clientMessageId: 1466692440896, message: { body: 'x' } }).replyTo).toBe(1466692440896);
  });

  test('without clientMessageId, id is used, with its type', () => {
    expect(decode({ id: 99, message: { body: 'x' } })).toMatchObject({ replyTo: 99, command: { clientMessageId: '99' } });
    expect(decode({ id: 'k-1', message: { body: 'x' } }).replyTo).toBe('k-1');
  });

  test('clientMessageId wins over id', () => {
    expect(decode({ clientMessageId: 1, id: 2, message: { body: 'x' } }).replyTo).toBe(1);
  });

  test('unusable ids (empty, over 128 characters, objects, non-finite) are dropped', () => {
    expect(decode({ clientMessageId: '', message: { body: 'x' } })).toEqual({ command: { type: 'message', input: { text: 'x' } }, replyTo: null });
    expect(decode({ clientMessageId: 'x'.repeat(129), id: 5, message: { body: 'x' } }).replyTo).toBe(5);
    expect(decode({ clientMessageId: { a: 1 }, message: { body: 'x' } }).replyTo).toBeNull();
    expect(decode('{"clientMessageId":1e999,"message":{"body":"x"}}').replyTo).toBeNull();
  });
});
