/**
 * Every request sample of the Aisera seed, sent verbatim (placeholders filled), over each transport — the
 * raw WebSocket (/api/ws), Socket.IO v4 (the `socket.io-client` package) and REST (/api/receive) — against
 * a real server (SQLite) running the Aisera test bot; the frames each request causes are asserted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AISERA_BOT_DIR,
  DEMO_CHANNEL_ID,
  DEMO_CHANNEL_KEY,
  RawClient,
  SioClient,
  rest,
  seedText,
  texts,
  uniqueUser,
  type Fill,
  type Frame,
} from '../support/aisera-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR, rateLimitBurst: 500, rateLimitPerSec: 100 } });
});
afterAll(async () => {
  await server.stop();
});

/** One way of talking to the server: `ask` sends a request's text and resolves with the frames of its reqId. */
interface Conn {
  ask(text: string): Promise<Frame[]>;
  close(): void;
}
const transports: Record<string, () => Promise<Conn>> = {
  'raw WebSocket': async () => RawClient.connect(server.url),
  'Socket.IO': async () => SioClient.connect(server.url),
  REST: async () => ({
    async ask(text: string) {
      const r = await rest(server.url, text);
      expect(r.headers.get('x-conversation-protocol')).toBe('aisera-compat/1');
      if (r.status !== 200) return [{ ...r.body, modeType: 'Error', final: true, httpStatus: r.status }];
      expect(r.body['answers']).toEqual((r.body['responses'] as Frame[]).flatMap((f) => f['answers'] as Frame[]));
      return r.body['responses'] as Frame[];
    },
    close() {},
  }),
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const final = (frames: Frame[]): Frame => {
  const finals = frames.filter((f) => f['final'] === true);
  expect(finals).toHaveLength(1);
  return finals[0]!;
};
const request = (fill: Fill, data: Record<string, unknown>, reqId: string | number): string =>
  JSON.stringify({ token: fill.token, userId: fill.userId, channelId: fill.channelId, data: { reqId, sessionVars: {}, isKL: false, channelCapabilities: { isFormSupported: true }, ...data } });

describe.each(Object.keys(transports))('the seed over %s', (transport) => {
  let conn: Conn;
  let fill: Fill;
  beforeAll(async () => {
    conn = await transports[transport]!();
    fill = { token: DEMO_CHANNEL_KEY, userId: uniqueUser(transport.replace(/\W/g, '')), userEmail: 'mark.smith@example.com', channelId: DEMO_CHANNEL_ID };
  });
  afterAll(() => conn.close());

  test('Basic Request: "Contact live agent" — the envelope echoed, the user waits for an agent', async () => {
    const frames = await conn.ask(seedText('basic', fill));
    const f = final(frames);
    expect(f).toMatchObject({ reqId: '1', userId: fill.userId, channelId: DEMO_CHANNEL_ID, from: 'bot', session: { state: 'active' } });
    expect(typeof f['reqId']).toBe('string');
    expect(f['sessionId']).toMatch(/^[0-9a-f]{24}$/);
    expect(f['seq']).toBeGreaterThan(0);
    expect(f['timestamp']).toMatch(ISO);
    expect(texts(frames)).toEqual(['I am handing you over to a human agent.']);
    // The hand-off: the bot's text in a LiveAgentWaiting frame; the user waits for an agent.
    expect(f).toMatchObject({ modeType: 'LiveAgentWaiting', liveAgent: { handoffId: expect.stringMatching(/^h-/), state: 'waiting' } });
    // Leaving the queue: the bot answers the rest of the seed.
    const left = await conn.ask(request(fill, { text: 'exit' }, 'leave-queue'));
    expect(left[0]).toMatchObject({ reqId: 'leave-queue', modeType: 'LiveAgentExited', liveAgent: { state: 'ended', reason: 'userExit' } });
  });

  test('Interactive Request: the option we issued is clicked with its followUpId', async () => {
    const offer = await conn.ask(request(fill, { text: 'how do i reset my vpn' }, 'offer-1'));
    const options = offer.flatMap((f) => (f['answers'] as Frame[]).filter((a) => a['type'] === 'options'))[0]!;
    expect(options['text']).toBe('Open the VPN client and choose "Reset".');
    expect(options['options'].map((o: Frame) => o['label'])).toEqual(['This is what I was looking for', 'Not what I was looking for']);
    for (const o of options['options'] as Frame[]) expect(o['followUpId']).toMatch(/^R:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The seed's own id was never issued here: refused, nothing changes.
    const stale = final(await conn.ask(seedText('interactive', fill)));
    expect(stale).toMatchObject({ reqId: 'REQ123', modeType: 'Error', code: 409, errorCode: 'FOLLOWUP_EXPIRED' });
    const frames = await conn.ask(seedText('interactive', { ...fill, followUpId: options['options'][0]['followUpId'] }));
    expect(final(frames)).toMatchObject({ reqId: 'REQ123', userId: fill.userId });
    expect(texts(frames)).toEqual(['Glad it helped!']);
  });

  test('Form Submit Request (userid spelling): the seed\'s eight values pass the form\'s field rules', async () => {
    const started = await conn.ask(request(fill, { text: 'test form' }, 'form-1'));
    const form = started.flatMap((f) => (f['answers'] as Frame[]).filter((a) => a['type'] === 'form'))[0]!['form'];
    expect(started.find((f) => f['modeType'] === 'FlowStarted')?.['flow']).toMatchObject({ id: 'form_sample', name: 'the sample form' });
    expect(form['fields'].map((x: Frame) => [x['name'], x['type']])).toEqual([
      ['simpleStringSample', 'text'],
      ['textAreaSample', 'textarea'],
      ['dateSample', 'date'],
      ['dropdownSample', 'dropdown'],
      ['radiosSample', 'radio'],
      ['multiSelectCheckboxesSample', 'checkboxes'],
      ['numberSample', 'number'],
      ['booleanSample', 'boolean'],
    ]);
    const frames = await conn.ask(seedText('formSubmit', { ...fill, formId: form['formId'] }));
    expect(final(frames)).toMatchObject({ reqId: 'REQ123', userId: fill.userId, modeType: 'FlowCompleted', flow: { id: 'form_sample', status: 'completed' } });
    // The spelling `userid` is accepted and noted, on the request's final frame (to the requester only).
    expect(final(frames)['warnings']).toEqual(['userid: read as userId']);
    expect(frames.filter((f) => f['warnings'] !== undefined)).toHaveLength(1);
    expect(texts(frames)).toEqual(['Form received: Quick brown fox, 2021-11-17, option3, option2, check1, check2, 6, yes.']);
    const again = final(await conn.ask(seedText('formSubmit', { ...fill, formId: form['formId'] })));
    expect(again).toMatchObject({ modeType: 'Error', code: 409, errorCode: 'FORM_ALREADY_SUBMITTED' });
  });

  test('SessionVar Request: sessionVars reach the dialog; data.channelId equals channelId', async () => {
    const frames = await conn.ask(seedText('sessionVar', fill));
    expect(final(frames)).toMatchObject({ reqId: 'REQ123', channelId: DEMO_CHANNEL_ID });
    expect(texts(frames)).toEqual(['myVar is someValue.']);
  });

  test('Needs Session History Request: the current session\'s transcript, oldest first', async () => {
    const f = final(await conn.ask(seedText('needsSessionHistory', fill)));
    expect(f).toMatchObject({ reqId: 'REQ123', answers: [], historyComplete: true, session: { state: 'active' } });
    const history = f['history'] as Frame[];
    const userTexts = history.filter((h) => h['role'] === 'user').map((h) => h['text']);
    expect(userTexts).toEqual(['Contact live agent', 'exit', 'how do i reset my vpn', 'This is what I was looking for', 'test form', 'Submitted the form', 'test sessionVars']);
    expect(history.at(-1)).toMatchObject({ role: 'bot', answers: [{ type: 'text', text: 'myVar is someValue.' }] });
    for (let i = 1; i < history.length; i++) expect(history[i]!['seq']).toBeGreaterThan(history[i - 1]!['seq']);
  });

  test('IsReset Request: a new session, the welcome, and the previous session named', async () => {
    const before = final(await conn.ask(request(fill, { text: 'hello there' }, 'before-reset')))['sessionId'];
    const frames = await conn.ask(seedText('isReset', fill));
    const f = final(frames);
    expect(f).toMatchObject({ reqId: 'REQ123', previousSessionId: before, session: { state: 'active' } });
    expect(f['sessionId']).not.toBe(before);
    expect(texts(frames)).toEqual(['Welcome to the Aisera test bot.']);
    const history = final(await conn.ask(seedText('needsSessionHistory', fill)))['history'] as Frame[];
    expect(history.map((h) => h['role'])).toEqual(['bot']);
  });

  test('Go Back and Start Over: followUpContext moves within the running flow', async () => {
    const first = await conn.ask(request(fill, { text: 'start the steps' }, 'steps-1'));
    const run1 = first.find((f) => f['modeType'] === 'FlowStarted')!['flow']['runId'];
    expect(texts(first)).toEqual(['Step one — what is your name?']);
    const two = await conn.ask(request(fill, { text: 'Ada' }, 'steps-2'));
    expect(texts(two)).toEqual(['Step two — pick a colour.']);
    const back = await conn.ask(seedText('goBack', fill));
    expect(final(back)).toMatchObject({ reqId: 'REQ123' });
    expect(texts(back).at(-1)).toBe('Step one — what is your name?');
    await conn.ask(request(fill, { text: 'Grace' }, 'steps-3'));
    const over = await conn.ask(seedText('startOver', fill));
    expect(final(over)).toMatchObject({ reqId: 'REQ123' });
    const restarted = over.find((f) => f['modeType'] === 'FlowStarted');
    expect(restarted?.['flow']).toMatchObject({ id: 'steps' });
    expect(restarted?.['flow']['runId']).not.toBe(run1);
    expect(texts(over).at(-1)).toBe('Step one — what is your name?');
    const done = await conn.ask(request(fill, { text: 'Linus' }, 'steps-4'));
    expect(texts(done)).toEqual(['Step two — pick a colour.']);
  });

  test('Logout: the session ends with a goodbye; a second logout finds it ended', async () => {
    await conn.ask(request(fill, { text: 'hello before leaving' }, 'pre-logout'));
    const frames = await conn.ask(seedText('logout', fill));
    expect(final(frames)).toMatchObject({ reqId: 'REQ123', session: { state: 'ended', endReason: 'logout' } });
    expect(texts(frames)).toEqual(['You have been logged out. Goodbye!']);
    const again = final(await conn.ask(seedText('logout', fill)));
    expect(again).toMatchObject({ reqId: 'REQ123', modeType: 'StatusUpdate', status: { code: 'SessionEnded' }, session: { state: 'ended', endReason: 'logout' } });
    const history = final(await conn.ask(seedText('needsSessionHistory', fill)));
    expect(history).toMatchObject({ sessionId: null, history: [], session: { state: 'ended' } });
  });
});
