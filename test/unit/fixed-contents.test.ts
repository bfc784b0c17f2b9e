/**
 * Fixed contents: a message node without variables says the same frozen objects every turn, and the log and
 * the Kore encoder serialise them once. What they write must be what plain serialisation writes.
 */
import { describe, expect, test } from 'vitest';
import type { Content, Entry, NewEntry } from '../../src/core/model.js';
import { fixedContents } from '../../src/dialog/flow/content.js';
import { encodeEntry } from '../../src/protocols/kore/encode.js';
import { decodeAppend, encodeAppend } from '../../src/storage/shared/entries-json.js';

const menu = { type: 'message' as const, text: 'Hello! How can I help?', buttons: [{ title: 'Reset a password', payload: '/reset_password' }] };
const entry = (content: Content, seq = 2): Entry => ({
  id: `m-${seq}`,
  at: 1_795_000_000_000,
  from: { role: 'bot', id: 'st-1' },
  sessionId: 's-1',
  body: { kind: 'bot_message', content },
  request: { id: 7, last: true },
  seq,
  conversationId: 'c-1',
});
const view = { deviceId: 'd-1', botInfo: { chatBot: 'Demo', taskBotId: 'st-1' }, icon: undefined };

describe('fixedContents', () => {
  test('a node without variables: the same frozen objects every time', () => {
    const a = fixedContents(menu);
    expect(a).not.toBeNull();
    expect(fixedContents(menu)).toBe(a);
    expect(Object.isFrozen(a![0])).toBe(true);
    expect(Object.isFrozen((a![0] as Extract<Content, { type: 'buttons' }>).buttons[0])).toBe(true);
    expect(a).toEqual([{ type: 'buttons', text: menu.text, buttons: [{ kind: 'postback', title: 'Reset a password', payload: '/reset_password' }] }]);
  });

  test('a node with a variable, or a list drawn from one, is rendered per turn', () => {
    expect(fixedContents({ type: 'message', text: 'Hello {{user.name}}' })).toBeNull();
    expect(fixedContents({ type: 'message', buttons: [{ title: 'Open {{ticket.id}}', payload: '/x' }] })).toBeNull();
    expect(fixedContents({ type: 'message', list: { from: 'tickets', item: { title: 'x' } } })).toBeNull();
  });
});

describe('serialising a fixed content', () => {
  const [fixed] = fixedContents(menu)!;
  const plain = JSON.parse(JSON.stringify(fixed)) as Content;

  test('the log stores what JSON.stringify would, and reads it back', () => {
    const entries: NewEntry[] = [
      { id: 'm-1', at: 1, from: { role: 'user', id: 'u' }, body: { kind: 'user_message', input: { text: 'hi' } }, origin: { deviceId: 'd', clientMessageId: '9' } },
      entry(fixed!),
    ];
    for (let i = 0; i < 2; i++) {
      const data = encodeAppend(entries);
      expect(JSON.parse(data)).toEqual(JSON.parse(JSON.stringify(entries)));
      expect(decodeAppend({ last_seq: 2, data }, 'c-1').map((e) => e.seq)).toEqual([1, 2]);
    }
  });

  test('Kore frames are the same for the frozen content and a plain copy of it', () => {
    expect(encodeEntry(entry(fixed!), view)).toBe(encodeEntry(entry(plain), view));
    expect(encodeEntry(entry(fixed!, 3), view)).toBe(encodeEntry(entry(plain, 3), view));
  });
});
