import { describe, expect, test } from 'vitest';
import { AccessTokens } from '../../src/auth/access-token.js';
import { AgentTokens, credentialStamp } from '../../src/auth/agent-token.js';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { CoreError } from '../../src/core/errors.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { decodeClientFrame, isRefused } from '../../src/protocols/native/decode.js';
import { entryView } from '../../src/protocols/native/encode.js';
import type { Entry } from '../../src/core/model.js';

const SECRET = 'x'.repeat(40);

describe('agent passwords (scrypt)', () => {
  test('salted, parameters in the string, verified in constant time', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
  });

  test('no hash, a malformed one or absurd parameters: false, never a throw', async () => {
    expect(await verifyPassword('x', undefined)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$16384$8$1$$')).toBe(false);
  });
});

describe('agent tokens', () => {
  test('sub is the agent; expiry honoured; user access tokens and agent tokens never pass for each other', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const now = clock.now();
    const agents = new AgentTokens(SECRET, 60_000, clock);
    const hash = 'scrypt$16384$8$1$c2FsdA$a2V5';
    const issued = await agents.issue('dana', hash);
    expect(issued.expiresAt).toBe(now + 60_000);
    expect(await agents.verify(issued.token)).toEqual({ agentId: 'dana', credential: credentialStamp(hash) });
    const users = new AccessTokens(SECRET, 60_000, clock);
    await expect(users.verify(issued.token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const user = await users.issue({ userId: 'u-1', botId: 'st-1', clientId: 'cs-1', deviceId: 'd-1', identity: 'a@b' });
    await expect(agents.verify(user.token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(new AgentTokens('y'.repeat(40), 60_000, clock).verify(issued.token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    clock.advance(61_000);
    await expect(agents.verify(issued.token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  test('the credential stamp is short, stable for one hash, different for another (a new salt), empty without one', () => {
    const a = credentialStamp('scrypt$16384$8$1$c2FsdA$a2V5');
    expect(a).toHaveLength(16);
    expect(credentialStamp('scrypt$16384$8$1$c2FsdA$a2V5')).toBe(a);
    expect(credentialStamp('scrypt$16384$8$1$b3RoZXI$a2V5')).not.toBe(a);
    expect(credentialStamp(undefined)).toBe('');
  });
});

describe('native protocol decode', () => {
  test.each([
    ['{"type":"status","status":"away"}'],
    ['{"type":"accept","handoffId":"h-1","ref":3}'],
    ['{"type":"send","handoffId":"h-1","text":"hi\\nthere","clientId":"c-1"}'],
    ['{"type":"typing","handoffId":"h-1","typing":true}'],
    ['{"type":"transfer","handoffId":"h-1","agentId":"sam","note":"VPN, see above"}'],
    ['{"type":"transfer","handoffId":"h-1","queue":"hr"}'],
    ['{"type":"close","handoffId":"h-1"}'],
    ['{"type":"resume","chats":[{"handoffId":"h-1","conversationId":"c-1","afterSeq":4}]}'],
    ['{"type":"ping"}'],
  ])('accepts %s', (text) => {
    const f = decodeClientFrame(text);
    expect(isRefused(f)).toBe(false);
    expect(f).toEqual(JSON.parse(text));
  });

  test.each([
    ['nope', undefined],
    ['[1]', undefined],
    ['{"type":"dance","ref":"r"}', 'r'],
    ['{"type":"accept","ref":1}', 1],
    ['{"type":"send","handoffId":"h","text":"","clientId":"c"}', undefined],
    ['{"type":"send","handoffId":"h","text":"a\\u0000","clientId":"c"}', undefined],
    ['{"type":"transfer","handoffId":"h"}', undefined],
    ['{"type":"transfer","handoffId":"h","queue":"q","agentId":"a"}', undefined],
    ['{"type":"status","status":"available","extra":1}', undefined],
    ['{"type":"resume","chats":[{"handoffId":"h","conversationId":"c","afterSeq":-1}]}', undefined],
  ])('refuses %s as MALFORMED_FRAME', (text, ref) => {
    const f = decodeClientFrame(text);
    expect(isRefused(f)).toBe(true);
    if (!isRefused(f)) return;
    expect(f.error).toBeInstanceOf(CoreError);
    expect(f.error.code).toBe('MALFORMED_FRAME');
    expect(f.ref).toBe(ref);
  });
});

describe('native protocol encode', () => {
  const base = { id: 'ms-1', at: 5, seq: 3, conversationId: 'c-1' };
  test('messages become text (rich content degraded), events keep their handoff facts', () => {
    const user: Entry = { ...base, from: { role: 'user', id: 'u-1' }, body: { kind: 'user_message', input: { text: '/agent', display: 'Talk to an agent' }, routed: 'queue' } };
    expect(entryView(user)).toEqual({ seq: 3, id: 'ms-1', at: 5, from: { role: 'user', id: 'u-1' }, text: 'Talk to an agent', routed: 'queue' });
    const agent: Entry = { ...base, from: { role: 'agent', id: 'dana' }, body: { kind: 'bot_message', content: { type: 'text', text: 'hi' } }, origin: { deviceId: 'agent:dana', clientMessageId: 'k-1' } };
    expect(entryView(agent)).toMatchObject({ text: 'hi', clientId: 'k-1' });
    const buttons: Entry = { ...base, from: { role: 'bot', id: 'st-1' }, body: { kind: 'bot_message', content: { type: 'buttons', text: 'Pick', buttons: [{ kind: 'postback', title: 'A', payload: 'a' }] } } };
    expect(entryView(buttons).text).toBe('Pick\n[A]');
    const ended: Entry = { ...base, from: { role: 'system', id: 'system' }, body: { kind: 'event', name: 'agent_session_end', detail: { handoff: { id: 'h-1', ended: 'userExit' } } } };
    expect(entryView(ended).event).toEqual({ name: 'agent_session_end', handoff: { id: 'h-1', ended: 'userExit' } });
  });
});
