/**
 * Sessions on the Aisera channel: frames fan out to every connection of the user (raw WS, Socket.IO and the
 * REST caller alike), forms (FormError with every bad field, resubmission, field-by-field fallback without
 * `isFormSupported`), SessionTimeout, the end-of-session survey, the channel's idle timeout, isKL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openTenancy } from '../../src/server/engines.js';
import { channelKeyHash } from '../../src/server/directory.js';
import { DEMO_BOT_ID } from '../../src/server/demo.js';
import { AISERA_BOT_DIR, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, SioClient, request, rest, texts, uniqueUser, type Frame } from '../support/aisera-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const QUICK = { id: 'quick-idle', key: 'ck_quick-idle-channel-key-0123456789' };
beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR, rateLimitBurst: 1000, rateLimitPerSec: 500 } });
  const { tenancy, close } = await openTenancy(server.config);
  await tenancy.createChannel({ id: QUICK.id, botId: DEMO_BOT_ID, name: 'Quick', keyHash: channelKeyHash(QUICK.key), origins: [], idleTimeoutSec: 1 }, Date.now());
  await close();
});
afterAll(async () => {
  await server.stop();
});

const demo = (userId = uniqueUser()) => ({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID });
const FORMS = { channelCapabilities: { isFormSupported: true } };
const formOf = (frames: Frame[]): Frame => frames.flatMap((f) => (f['answers'] as Frame[]).filter((a) => a['type'] === 'form'))[0]!['form'];
const GOOD = {
  simpleStringSample: 'Quick brown fox',
  textAreaSample: 'The quick brown fox jumps over the lazy dog.',
  dateSample: '2021-11-17',
  dropdownSample: 'option3',
  radiosSample: 'option2',
  multiSelectCheckboxesSample: ['check1', 'check2'],
  numberSample: 6,
  booleanSample: true,
};

describe('fan-out: one session, every connection of its user', () => {
  test('a request on one socket reaches the user\'s other sockets (raw WS and Socket.IO) with the same frames; REST requests too', async () => {
    const who = demo();
    const a = await RawClient.connect(server.url);
    const b = await SioClient.connect(server.url);
    // Each socket follows the user's conversation once it sent a request for it.
    await a.ask(request(who, { text: 'hello from a' }));
    await b.ask(request(who, { text: 'hello from b' }));
    const fromA = await a.ask(request(who, { text: 'one', reqId: 'shared-1' }));
    const seenByB = await b.response('shared-1');
    expect(seenByB).toEqual(fromA);
    const r = await rest(server.url, request(who, { text: 'via rest', reqId: 'shared-2' }));
    expect(r.status).toBe(200);
    expect(await a.response('shared-2')).toEqual(r.body['responses']);
    expect(await b.response('shared-2')).toEqual(r.body['responses']);
    // Each frame's seq is its place in the user's log: strictly increasing, the same everywhere.
    const seqs = a.frames.filter((f) => f['seq'] > 0).map((f) => f['seq'] as number);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    a.close();
    b.close();
  });

  test('another user\'s frames never reach a socket', async () => {
    const a = await RawClient.connect(server.url);
    const mine = demo();
    await a.ask(request(mine, { text: 'mine' }));
    const before = a.frames.length;
    await rest(server.url, request(demo(), { text: 'someone else' }));
    await a.ask(request(mine, { text: 'still mine' }));
    expect(a.frames.slice(before).every((f) => f['userId'] === mine.userId)).toBe(true);
    a.close();
  });
});

describe('forms', () => {
  test('FormError lists every bad field; the form stays pending and a corrected submission completes it', async () => {
    const c = await RawClient.connect(server.url);
    const who = demo();
    const form = formOf(await c.ask(request(who, { text: 'show me the form', ...FORMS })));
    expect(form['kind']).toBe('input');
    const { booleanSample: _b, ...missing } = GOOD;
    const bad = await c.ask(request(who, { text: '', ...FORMS, followUpData: { formId: form['formId'], formFieldValues: { ...missing, numberSample: '6', dateSample: '2021-02-30', dropdownSample: 'option9' } } }));
    const err = bad.find((f) => f['modeType'] === 'FormError')!;
    expect(err).toMatchObject({ code: 422, error: 'Unprocessable Entity', errorCode: 'FORM_VALIDATION_FAILED', formId: form['formId'] });
    expect((err['errors'] as Frame[]).map((e) => e['field']).sort()).toEqual(['booleanSample', 'dateSample', 'dropdownSample', 'numberSample']);
    for (const e of err['errors'] as Frame[]) expect(e['path']).toBe(`data.followUpData.formFieldValues.${e['field']}`);
    expect(bad.flatMap((f) => (f['answers'] as Frame[]).filter((a) => a['type'] === 'form'))).toEqual([]);
    const ok = await c.ask(request(who, { text: '', ...FORMS, followUpData: { formId: form['formId'], formFieldValues: GOOD } }));
    expect(ok.at(-1)).toMatchObject({ modeType: 'FlowCompleted', final: true });
    expect(texts(ok)[0]).toMatch(/^Form received: Quick brown fox/);
    c.close();
  });

  test('a form id that was never sent in this session → 409 FORM_NOT_PENDING', async () => {
    const c = await RawClient.connect(server.url);
    const f = (await c.ask(request(demo(), { text: '', followUpData: { formId: 'bcbed7df-951f-4369-b5f0-443ef31e2372', formFieldValues: GOOD } })))[0]!;
    expect(f).toMatchObject({ modeType: 'Error', code: 409, errorCode: 'FORM_NOT_PENDING' });
    c.close();
  });

  test('without isFormSupported the form is asked field by field (no form answer is sent)', async () => {
    const c = await RawClient.connect(server.url);
    const who = demo();
    const first = await c.ask(request(who, { text: 'show me the form', channelCapabilities: { isFormSupported: false } }));
    expect(first.flatMap((f) => (f['answers'] as Frame[]).map((a) => a['type']))).not.toContain('form');
    expect(texts(first).at(-1)).toMatch(/Simple string/i);
    const second = await c.ask(request(who, { text: 'Quick brown fox' }));
    expect(texts(second).at(-1)).toMatch(/Text area/i);
    c.close();
  });
});

describe('ending sessions', () => {
  test('SessionTimeout ends the session (clientTimeout); the next message starts a new one', async () => {
    const c = await SioClient.connect(server.url);
    const who = demo();
    const s1 = (await c.ask(request(who, { text: 'hi' }))).at(-1)!['sessionId'];
    const end = (await c.ask(request(who, { type: 'SessionTimeout' }))).at(-1)!;
    expect(end).toMatchObject({ modeType: 'StatusUpdate', status: { code: 'SessionEnded' }, session: { state: 'ended', endReason: 'clientTimeout' }, sessionId: s1, final: true });
    const s2 = (await c.ask(request(who, { text: 'again' }))).at(-1)!['sessionId'];
    expect(s2).not.toBe(s1);
    c.close();
  });

  test('EndSessionSurvey sends the survey form; its submission ends the session (surveyCompleted)', async () => {
    const c = await RawClient.connect(server.url);
    const who = demo();
    await c.ask(request(who, { text: 'a question first', ...FORMS }));
    const offered = await c.ask(request(who, { type: 'EndSessionSurvey', ...FORMS }));
    expect(offered.find((f) => f['modeType'] === 'FlowStarted')?.['flow']).toMatchObject({ id: 'end_session_survey' });
    const survey = formOf(offered);
    expect(survey['fields'].map((f: Frame) => f['name'])).toEqual(['rating', 'comment']);
    expect(survey['kind']).toBe('survey');
    const from = c.frames.length;
    const done = await c.ask(request(who, { text: '', ...FORMS, followUpData: { formId: survey['formId'], formFieldValues: { rating: '5', comment: 'great' } } }));
    expect(texts(done)).toEqual(['Thank you for your feedback!']);
    const ended = await c.next((f) => f['session']?.['state'] === 'ended', 5000, from);
    expect(ended).toMatchObject({ reqId: null, modeType: 'StatusUpdate', session: { endReason: 'surveyCompleted' } });
    c.close();
  });

  test('EndSessionSurvey before the user said anything just ends the session', async () => {
    const c = await RawClient.connect(server.url);
    const f = (await c.ask(request(demo(), { type: 'EndSessionSurvey' }))).at(-1)!;
    expect(f).toMatchObject({ session: { state: 'ended' }, final: true });
    c.close();
  });

  test('the channel\'s idle timeout ends the session and pushes StatusUpdate SessionTimeout to the connection', async () => {
    const c = await RawClient.connect(server.url);
    const who = { token: QUICK.key, userId: uniqueUser(), channelId: QUICK.id };
    const s1 = (await c.ask(request(who, { text: 'hi' }))).at(-1)!['sessionId'];
    const timeout = await c.next((f) => f['status']?.['code'] === 'SessionTimeout', 5000);
    expect(timeout).toMatchObject({ reqId: null, sessionId: s1, modeType: 'StatusUpdate', session: { state: 'ended', endReason: 'idleTimeout' }, final: true });
    expect(c.closeCode).toBeUndefined();
    c.close();
  });
});

describe('isKL', () => {
  test('isKL:true is a knowledge lookup only: a bot without a knowledge base says it found nothing, and no flow runs', async () => {
    const c = await RawClient.connect(server.url);
    expect(texts(await c.ask(request(demo(), { text: 'vpn', isKL: true })))).toEqual(["Sorry, I couldn't find anything about that in the knowledge base."]);
    c.close();
  });
});
