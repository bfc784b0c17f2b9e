/**
 * The Aisera codec, pure: envelope validation and the classification order (§2, §2.5), the frame assembler
 * (entries → frames, `final` on the request's last entry, modeTypes), follow-up ids resolved from the log,
 * and the channel's tokens.
 */
import { describe, expect, test } from 'vitest';
import type { Entry, NewEntry } from '../../src/core/model.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { choicesOf, followUpIdFor } from '../../src/protocols/aisera/answers.js';
import { decodeRequest, isRejection, parseRequest, type AiseraRequest, type Rejection } from '../../src/protocols/aisera/decode.js';
import { FrameAssembler } from '../../src/protocols/aisera/encode.js';
import { findChoice, formState } from '../../src/protocols/aisera/lookup.js';
import { AiseraTokens, sha256Hex, TokenCache } from '../../src/protocols/aisera/tokens.js';

type Frame = Record<string, any>;

const base = { token: 'ck_x', userId: 'u1', channelId: 'ch-1' };
const decode = (env: Record<string, unknown>, data: Record<string, unknown> = {}) => decodeRequest({ ...base, ...env, data: { reqId: 'r1', ...data } });
const ok = (r: AiseraRequest | Rejection): AiseraRequest => {
  if (isRejection(r)) throw new Error(`rejected: ${r.error.code} ${JSON.stringify(r.errors)}`);
  return r;
};
const code = (r: AiseraRequest | Rejection) => (isRejection(r) ? r.error.code : 'ACCEPTED');

describe('decode: validation', () => {
  test('userid is read as userId (with a warning); both equal are accepted; both different are refused', () => {
    const r = ok(decodeRequest({ token: 't', userid: 'u9', channelId: 'c', data: { reqId: 1, text: 'hi' } }));
    expect(r.userId).toBe('u9');
    expect(r.warnings).toContain('userid: read as userId');
    expect(code(decode({ userid: 'u1' }, { text: 'x' }))).toBe('ACCEPTED');
    expect(code(decode({ userid: 'u2' }, { text: 'x' }))).toBe('AMBIGUOUS_USER_ID');
    expect(code(decodeRequest({ token: 't', channelId: 'c', data: { reqId: 1, text: 'x' } }))).toBe('INVALID_REQUEST');
  });

  test('the echo fields of a refusal are what could be read, with their JSON types', () => {
    const r = decode({ type: 'Nope' }, { reqId: 7 }) as Rejection;
    expect(r).toMatchObject({ reqId: 7, userId: 'u1', channelId: 'ch-1' });
    expect(r.error.code).toBe('UNKNOWN_REQUEST_TYPE');
    expect((decodeRequest(parseRequest('{')) as Rejection).reqId).toBeNull();
  });

  test.each([
    ['top-level type differs from data.type', { type: 'SessionTimeout' }, { type: 'EndSessionSurvey' }, 'CONFLICTING_REQUEST'],
    ['two selectors', {}, { needsSessionHistory: true, followUpId: 'R:1' }, 'CONFLICTING_REQUEST'],
    ['history with text', {}, { needsSessionHistory: true, text: 'hello' }, 'CONFLICTING_REQUEST'],
    ['followUpContext without the reserved id', {}, { followUpContext: { type: 'FlowGoBack' }, followUpId: 'R:1' }, 'CONFLICTING_REQUEST'],
    ['followUpContext with no followUpId', {}, { followUpContext: { type: 'FlowGoBack' } }, 'INVALID_REQUEST'],
    ['an underscore id that is not reserved', {}, { followUpId: '_other_' }, 'FOLLOWUP_EXPIRED'],
    ['isKL with a follow-up', {}, { isKL: true, followUpId: 'R:1' }, 'CONFLICTING_REQUEST'],
    ['text too long', {}, { text: 'x'.repeat(4001) }, 'INVALID_REQUEST'],
    ['too many session variables', {}, { text: 'x', sessionVars: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }, 'INVALID_REQUEST'],
    ['a nested session variable', {}, { text: 'x', sessionVars: { a: { b: 1 } } }, 'INVALID_REQUEST'],
    ['a bad session variable name', {}, { text: 'x', sessionVars: { '1bad': 1 } }, 'INVALID_REQUEST'],
    ['sessionVars.userEmail ≠ userEmail', { userEmail: 'a@b.c' }, { text: 'x', sessionVars: { userEmail: 'z@b.c' } }, 'CONFLICTING_REQUEST'],
    ['a malformed userEmail', { userEmail: 'not-an-email' }, { text: 'x' }, 'INVALID_REQUEST'],
    ['isKL not a boolean', {}, { text: 'x', isKL: 'false' }, 'INVALID_REQUEST'],
    ['a fractional reqId', {}, { reqId: 1.5, text: 'x' }, 'INVALID_REQUEST'],
  ])('%s → %s', (_what, env, data, expected) => {
    expect(code(decode(env, data))).toBe(expected);
  });

  test('invalid fields are all listed, with dotted paths', () => {
    const r = decodeRequest({ token: 't', userId: 'u', channelId: '', data: { reqId: '', isReset: 'yes' } }) as Rejection;
    expect(r.error.code).toBe('INVALID_REQUEST');
    expect(r.errors.map((e) => e.path).sort()).toEqual(['channelId', 'data.isReset', 'data.reqId']);
  });

  test('unknown fields are ignored and reported as warnings', () => {
    const r = ok(decode({ extra: 1 }, { text: 'x', more: 2, channelCapabilities: { isFormSupported: true, isWhatever: true } }));
    expect(r.warnings).toEqual(['extra: unknown field, ignored', 'data.more: unknown field, ignored', 'data.channelCapabilities.isWhatever: unknown capability, ignored']);
    expect(r.capabilities).toEqual({ isFormSupported: true });
  });
});

describe('decode: classification order (§2.5)', () => {
  test.each([
    [{ type: 'SessionTimeout' }, 'sessionTimeout'],
    [{ type: 'EndSessionSurvey', text: 'bye' }, 'endSessionSurvey'],
    [{ type: 'LiveAgentPickUp' }, 'agent'],
    [{ isReset: true, text: 'ignored' }, 'reset'],
    [{ needsSessionHistory: true }, 'history'],
    [{ followUpId: '_go:back_', followUpContext: { type: 'FlowGoBack' } }, 'goBack'],
    [{ followUpId: '_go:back_', followUpContext: { type: 'FlowStartOver' } }, 'startOver'],
    [{ text: '', followUpData: { formId: 'f', formFieldValues: {} } }, 'form'],
    [{ text: 'label', followUpId: 'R:abc' }, 'followUp'],
    [{ text: ' /LOGOUT ' }, 'logout'],
    [{ text: 'Cancel' }, 'exit'],
    [{ text: 'exit' }, 'exit'],
    [{ text: 'vpn', isKL: true }, 'knowledge'],
    [{ text: 'hello' }, 'message'],
  ])('%j → %s', (data, kind) => {
    expect(ok(decode({}, data)).kind.type).toBe(kind);
  });

  test('nothing to act on → EMPTY_REQUEST (but text "" with followUpData is a form)', () => {
    expect(code(decode({}, {}))).toBe('EMPTY_REQUEST');
    expect(code(decode({}, { text: '   ', isKL: false }))).toBe('EMPTY_REQUEST');
  });
});

let seq = 0;
const entry = (e: Partial<NewEntry> & Pick<NewEntry, 'body'>): Entry =>
  ({ id: `e${++seq}`, at: 1_700_000_000_000, from: { role: 'bot', id: 'st-1' }, sessionId: 's1', seq, conversationId: 'c1', ...e }) as Entry;
const assemble = (entries: Entry[]): Frame[] => {
  const a = new FrameAssembler({ userId: 'u1', channelId: 'ch-1' });
  for (const e of entries) a.push(e);
  return a.flush().map((s) => JSON.parse(s) as Frame);
};
const say = (text: string, request?: NewEntry['request']) => entry({ body: { kind: 'bot_message', content: { type: 'text', text } }, ...(request ? { request } : {}) });

describe('encode: the frame assembler', () => {
  test('the answers of one request share a frame; the last entry makes it final; the user message makes none', () => {
    const frames = assemble([
      entry({ from: { role: 'user', id: 'u' }, body: { kind: 'user_message', input: { text: 'hi' } }, request: { id: 'r1' } }),
      say('one', { id: 'r1' }),
      say('two', { id: 'r1' }),
      entry({ body: { kind: 'event', name: 'waiting_for_user_input' }, request: { id: 'r1', last: true } }),
    ]);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ reqId: 'r1', userId: 'u1', channelId: 'ch-1', sessionId: 's1', final: true, from: 'bot', answers: [{ text: 'one' }, { text: 'two' }] });
    expect(frames[0]!['seq']).toBe(seq);
  });

  test('a modeType starts its own frame when the open one has another; FlowStarted carries the answers after it', () => {
    const frames = assemble([
      entry({ body: { kind: 'event', name: 'flow_started', detail: { flow: { id: 'f', runId: 'run1', title: 'the flow' } } }, request: { id: 2 } }),
      say('q?', { id: 2 }),
      entry({ body: { kind: 'event', name: 'flow_completed', detail: { flow: { id: 'f', runId: 'run1', status: 'completed' } } }, request: { id: 2, last: true } }),
    ]);
    expect(frames.map((f) => [f['modeType'], f['final'], f['answers'].length])).toEqual([
      ['FlowStarted', false, 1],
      ['FlowCompleted', true, 0],
    ]);
    expect(frames[0]!['flow']).toEqual({ id: 'f', name: 'the flow', runId: 'run1', exitCommand: 'Cancel' });
    expect(frames[1]!['reqId']).toBe(2);
  });

  test('form_failure becomes FormError with one error per field', () => {
    const [f] = assemble([
      entry({ body: { kind: 'event', name: 'form_failure', detail: { form: { id: 'F1', errors: [{ field: 'a', message: 'is required' }, { field: 'b', message: 'must be a number' }] } } }, request: { id: 'x' } }),
      say('Some answers need another look:', { id: 'x', last: true }),
    ]);
    expect(f).toMatchObject({ modeType: 'FormError', code: 422, errorCode: 'FORM_VALIDATION_FAILED', formId: 'F1', final: true });
    expect(f!['errors']).toEqual([
      { path: 'data.followUpData.formFieldValues.a', field: 'a', message: 'is required' },
      { path: 'data.followUpData.formFieldValues.b', field: 'b', message: 'must be a number' },
    ]);
  });

  test('a failed service becomes ExternalSystemError (502, or 504 on a timeout) carrying the apology; FlowCompleted follows', () => {
    const frames = assemble([
      entry({ body: { kind: 'event', name: 'service_failed', detail: { service: { name: 'tickets.http1', status: 503, failure: 'status' } } }, request: { id: 'e' } }),
      say('A system I need is not answering.', { id: 'e' }),
      entry({ body: { kind: 'event', name: 'flow_completed', detail: { flow: { id: 'tickets', runId: 'r', status: 'failed' } } }, request: { id: 'e', last: true } }),
    ]);
    expect(frames.map((f) => [f['modeType'], f['final']])).toEqual([
      ['ExternalSystemError', false],
      ['FlowCompleted', true],
    ]);
    expect(frames[0]).toMatchObject({ code: 502, error: 'Bad Gateway', errorCode: 'EXTERNAL_FAILURE', retryable: true, system: { kind: 'fulfillment', name: 'tickets.http1' } });
    expect(frames[0]!['answers'].map((a: Frame) => a['text'])).toEqual(['A system I need is not answering.']);
    const [timeout] = assemble([entry({ body: { kind: 'event', name: 'service_failed', detail: { service: { name: 's.h', status: 0, failure: 'timeout' } } }, request: { id: 't', last: true } })]);
    expect(timeout).toMatchObject({ modeType: 'ExternalSystemError', code: 504, errorCode: 'EXTERNAL_TIMEOUT', final: true });
  });

  test('session ends: idle → unsolicited StatusUpdate SessionTimeout; reset → previousSessionId on the next frame', () => {
    const [idle] = assemble([entry({ from: { role: 'system', id: 'system' }, body: { kind: 'event', name: 'session_end', reason: 'idle' } })]);
    expect(idle).toMatchObject({ reqId: null, final: true, modeType: 'StatusUpdate', status: { code: 'SessionTimeout' }, session: { state: 'ended', endReason: 'idleTimeout' } });
    const frames = assemble([
      entry({ from: { role: 'system', id: 'system' }, sessionId: 'old', body: { kind: 'event', name: 'session_end', reason: 'reset' }, request: { id: 'R' } }),
      entry({ from: { role: 'system', id: 'system' }, sessionId: 'new', body: { kind: 'event', name: 'session_start' }, request: { id: 'R' } }),
      { ...say('Welcome!', { id: 'R', last: true }), sessionId: 'new' },
    ]);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ sessionId: 'new', previousSessionId: 'old', final: true, answers: [{ text: 'Welcome!' }] });
  });

  test('options get followUpIds derived from the entry, resolvable from the log in that session only', () => {
    const offer = entry({ body: { kind: 'bot_message', content: { type: 'quickReplies', text: 'Pick', replies: [{ title: 'A', payload: '/a' }, { title: 'B', payload: '/b' }] } } });
    const [f] = assemble([offer]);
    const options = (f!['answers'] as unknown as Frame[])[0]!['options'] as Frame[];
    expect(options).toEqual([
      { followUpId: followUpIdFor(offer.id, 0), label: 'A' },
      { followUpId: followUpIdFor(offer.id, 1), label: 'B' },
    ]);
    expect(findChoice([offer], 's1', options[1]!['followUpId'] as string)).toEqual({ label: 'B', payload: '/b' });
    expect(findChoice([offer], 's2', options[1]!['followUpId'] as string)).toBeUndefined();
    expect(findChoice([offer], 's1', 'R:0e70f8b8-6f6c-4ee5-8d26-6a8375e9bcea')).toBeUndefined();
    expect(choicesOf({ type: 'buttons', text: 't', buttons: [{ kind: 'link', title: 'L', url: 'https://x' }] })).toEqual([]);
  });

  test('form state: pending once sent, submitted after form_submitted, unknown otherwise', () => {
    const form = entry({ body: { kind: 'bot_message', content: { type: 'form', form: { id: 'F', fields: [] } } } });
    const submitted = entry({ body: { kind: 'event', name: 'form_submitted', detail: { form: { id: 'F' } } } });
    expect(formState([form], 's1', 'F')).toBe('pending');
    expect(formState([form, submitted], 's1', 'F')).toBe('submitted');
    expect(formState([form], 's1', 'G')).toBe('unknown');
    expect(formState([form], 's2', 'F')).toBe('unknown');
  });
});

describe('tokens', () => {
  const channel = { id: 'ch-1', botId: 'st-1', name: 'c', keyHash: sha256Hex('ck_right-key'), origins: [] };

  test('a channel key opens its channel; another key does not', async () => {
    const t = new AiseraTokens('s'.repeat(32), new ManualClock());
    expect(await t.verify('ck_right-key', channel)).toMatchObject({ kind: 'channel' });
    expect(await t.verify('ck_wrong-key', channel)).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  test('a user token is bound to its channel and expires (after 60 s of skew); another server secret does not verify it', async () => {
    const clock = new ManualClock();
    const t = new AiseraTokens('s'.repeat(32), clock);
    const { token } = await t.mint({ channelId: 'ch-1', userId: 'u1', email: 'u@x.io', scope: 'user', ttlSec: 600 });
    expect(await t.verify(token, channel)).toMatchObject({ kind: 'user', sub: 'u1', email: 'u@x.io' });
    expect(await t.verify(token, { ...channel, id: 'ch-2' })).toMatchObject({ code: 'CHANNEL_MISMATCH' });
    expect(await new AiseraTokens('o'.repeat(32), clock).verify(token, channel)).toMatchObject({ code: 'TOKEN_INVALID' });
    clock.advance(600_000 + 59_000);
    expect(await t.verify(token, channel)).toMatchObject({ kind: 'user' });
    clock.advance(2_000);
    expect(await t.verify(token, channel)).toMatchObject({ code: 'TOKEN_EXPIRED' });
    const agent = await t.mint({ channelId: 'ch-1', userId: 'ag', scope: 'agent', ttlSec: 60 });
    expect(await t.verify(agent.token, channel)).toMatchObject({ kind: 'agent', sub: 'ag' });
  });

  test('the per-connection cache forgets a verdict once the token expired', () => {
    const cache = new TokenCache(2);
    cache.put('tok', 'ch-1', { kind: 'user', sub: 'u', expiresAt: 1000 });
    expect(cache.get('tok', 'ch-1', 500)).toMatchObject({ sub: 'u' });
    expect(cache.get('tok', 'ch-2', 500)).toBeUndefined();
    expect(cache.get('tok', 'ch-1', 1000 + 61_000)).toBeUndefined();
  });
});

describe('decode never throws', () => {
  test('on 3000 random JSON values and mutated seed-like envelopes, it accepts or refuses with a code', () => {
    let state = 42;
    const rnd = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const atoms: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 60, '', 'x', '_go:back_', 'R:1', '/logout', '\u0000', [], {}];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.4) return atoms[Math.floor(rnd() * atoms.length)];
      if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
      const keys = ['token', 'userId', 'userid', 'channelId', 'type', 'data', 'reqId', 'text', 'sessionVars', 'followUpId', 'followUpData', 'formId', 'formFieldValues', 'followUpContext', 'isReset', 'needsSessionHistory', 'isKL', 'channelCapabilities'];
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)]!, value(depth + 1)]));
    };
    for (let i = 0; i < 3000; i++) {
      const v = i % 2 === 0 ? value(0) : { token: 'ck_x', userId: 'u', channelId: 'c', data: { reqId: 'r', ...(value(1) as object) } };
      const r = decodeRequest(v);
      if (isRejection(r)) expect(r.error.spec.http).toBeGreaterThanOrEqual(400);
      else expect(r.kind.type).toBeTypeOf('string');
    }
  });
});
