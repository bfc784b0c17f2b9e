/**
 * Generative knowledge answers through an OpenAI-compatible endpoint (the fake server of test/support/fake-llm,
 * which streams server-sent events like the real API): streamed tokens coalesced into indexed chunks, the
 * prompt with the retrieved passages, cancel by a new message (aborted upstream, `finishReason: aborted`
 * before the new answer), reconnect mid-stream (no gap, no duplicate), and the fallback to the extractive
 * answer on failure (`ExternalSystemError`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, request, uniqueUser, type Frame } from '../support/aisera-client.js';
import { FAKE_LLM_KEY, FAKE_LLM_MODEL, FakeLlm } from '../support/fake-llm.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { checkStream, QUESTION } from '../support/streams.js';

let llm: FakeLlm;
let server: TestServer;
// The whole answer must arrive within the timeout: 3 s, three times the longest answer below (120 tokens 8 ms
// apart), so that a slow or busy machine does not turn a good answer into a timeout.
beforeAll(async () => {
  llm = await FakeLlm.start();
  server = await startTestServer({
    settings: { demoBot: HELPDESK_BOT_DIR, rateLimitBurst: 1000, rateLimitPerSec: 500, knowledgeLlmUrl: llm.baseUrl, knowledgeLlmModel: FAKE_LLM_MODEL, knowledgeLlmTimeoutMs: 3000 },
    env: { COLLOQUY_KB_LLM_API_KEY: FAKE_LLM_KEY },
  });
});
afterAll(async () => {
  await server.stop();
  await llm.stop();
});
beforeEach(() => {
  llm.behaviour = { tokens: [], delayMs: 0, finishReason: 'stop' };
});

const demo = (userId = uniqueUser()) => ({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i} `);

describe('a generated answer', () => {
  test('streams: Retrieving, Generating, coalesced indexed chunks, then the completion with the whole text and citations', async () => {
    const tokens = ['Switch ', 'SecureLink ', 'to ', 'TCP ', '443 ', 'on ', 'hotel ', 'networks ', '[1]', '.', ...words(40)];
    llm.behaviour = { tokens, delayMs: 5, finishReason: 'stop' };
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION }));
    const { text, completed } = checkStream(frames);
    expect(frames[1]).toMatchObject({ modeType: 'StatusUpdate', status: { code: 'Generating' }, final: false });
    expect(text).toBe(tokens.join(''));
    expect(completed['answers'][0]['text']).toBe(tokens.join(''));
    expect(completed['answers'][1]['type']).toBe('kb');
    expect(completed['stream']['finishReason']).toBe('stop');
    // Coalesced: fewer frames than tokens.
    expect(completed['stream']['chunkCount']).toBeLessThan(tokens.length);
    // The request the model got: streamed, the key, the model, the passages in the prompt.
    const seen = llm.requests.at(-1)!;
    expect(seen.authorization).toBe(`Bearer ${FAKE_LLM_KEY}`);
    expect(seen.body).toMatchObject({ model: FAKE_LLM_MODEL, stream: true });
    expect(seen.body.messages.at(-1)!.content).toMatch(/Hotel and airport networks often block VPN traffic/);
    expect(seen.body.messages.at(-1)!.content).toMatch(/Question: how do i connect to the vpn from a hotel/);
    c.close();
  });

  test('the model stops at its length limit: finishReason length', async () => {
    llm.behaviour = { tokens: ['Partial ', 'answer'], delayMs: 0, finishReason: 'length' };
    const c = await RawClient.connect(server.url);
    const { completed } = checkStream(await c.ask(request(demo(), { text: QUESTION })));
    expect(completed['stream']['finishReason']).toBe('length');
    c.close();
  });
});

describe('cancel', () => {
  test('a new message aborts the stream upstream; the old request ends with finishReason aborted before the new answer', async () => {
    llm.behaviour = { tokens: words(200), delayMs: 10, finishReason: 'stop' };
    const c = await RawClient.connect(server.url);
    const who = demo();
    const first = request(who, { text: QUESTION });
    c.send(first);
    const firstChunk = await c.next((f) => f['reqId'] === first.data.reqId && f['modeType'] === 'StreamingInProgress');
    await c.next((f) => f['reqId'] === first.data.reqId && f['modeType'] === 'StreamingInProgress' && f['stream']['index'] >= 1);
    const second = request(who, { text: 'zxqv blorp' });
    const from = c.frames.length;
    c.send(second);
    const aborted = await c.next((f) => f['reqId'] === first.data.reqId && f['final'] === true);
    await c.response(second.data.reqId, 5000, from);
    expect(aborted).toMatchObject({ modeType: 'StreamingCompleted', stream: { id: firstChunk['stream']['id'], finishReason: 'aborted' } });
    // The text so far is the authoritative text of the aborted answer.
    const streamed = c.frames.filter((f) => f['reqId'] === first.data.reqId && f['modeType'] === 'StreamingInProgress');
    expect(aborted['answers'][0]['text']).toBe(streamed.map((f) => f['stream']['delta']).join(''));
    expect(aborted['stream']['chunkCount']).toBe(streamed.length);
    // Before anything of the new request.
    const secondFrames = c.frames.filter((f) => f['reqId'] === second.data.reqId);
    expect(aborted['seq']).toBeLessThan(Math.min(...secondFrames.map((f) => f['seq'] as number)));
    expect(c.frames.indexOf(aborted)).toBeLessThan(c.frames.indexOf(secondFrames[0]!));
    // Upstream: the model's connection was closed before it finished; nothing more of the old stream arrives.
    await sleep(150);
    expect(llm.requests.at(-1)!).toMatchObject({ aborted: true, completed: false });
    const after = c.frames.length;
    await sleep(100);
    expect(c.frames.slice(after).filter((f) => f['reqId'] === first.data.reqId)).toEqual([]);
    c.close();
  });
});

describe('reconnect mid-stream', () => {
  test('a client back mid-answer (needsSessionHistory) gets the text so far and the rest: no gap, no duplicate', async () => {
    llm.behaviour = { tokens: words(120), delayMs: 8, finishReason: 'stop' };
    const who = demo();
    const a = await RawClient.connect(server.url);
    const ask = request(who, { text: QUESTION });
    a.send(ask);
    await a.next((f) => f['reqId'] === ask.data.reqId && f['modeType'] === 'StreamingInProgress' && f['stream']['index'] >= 2);
    a.close();
    await sleep(60);
    const b = await RawClient.connect(server.url);
    const history = request(who, { needsSessionHistory: true, text: '' });
    b.send(history);
    await b.next((f) => f['reqId'] === history.data.reqId);
    const frames = await b.response(ask.data.reqId, 8000);
    const { text, completed } = checkStream(frames);
    expect(completed['stream']['finishReason']).toBe('stop');
    expect(text).toBe(words(120).join(''));
    expect(completed['answers'][0]['text']).toBe(text);
    b.close();
  });
});

describe('the model fails: the extractive answer instead, reported as ExternalSystemError', () => {
  const failureOf = (frames: readonly Frame[]) => frames.find((f) => f['modeType'] === 'ExternalSystemError');

  test('an error status before the first token: ExternalSystemError 502, then the extractive answer streamed', async () => {
    llm.behaviour = { tokens: [], delayMs: 0, finishReason: 'stop', status: 500 };
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION }));
    expect(failureOf(frames)).toMatchObject({ code: 502, errorCode: 'EXTERNAL_FAILURE', system: { kind: 'llm', name: 'knowledge.generate' }, retryable: true, final: false });
    const { text, completed } = checkStream(frames);
    expect(completed['stream']['finishReason']).toBe('stop');
    expect(text).toMatch(/Hotel and airport networks/);
    c.close();
  });

  test('no answer within the timeout: ExternalSystemError 504 EXTERNAL_TIMEOUT, then the extractive answer', async () => {
    llm.behaviour = { tokens: [], delayMs: 0, finishReason: 'stop', hang: true };
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION }), 8000);
    expect(failureOf(frames)).toMatchObject({ code: 504, errorCode: 'EXTERNAL_TIMEOUT' });
    expect(checkStream(frames).completed['answers'][0]['text']).toMatch(/Hotel and airport networks/);
    c.close();
  });

  test('the connection drops mid-answer: finishReason error, the extractive answer is authoritative', async () => {
    llm.behaviour = { tokens: words(30), delayMs: 2, finishReason: 'stop', dropAfter: 10 };
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION }));
    expect(failureOf(frames)).toMatchObject({ code: 502 });
    const { text, completed } = checkStream(frames);
    expect(text).toBe(words(10).join(''));
    expect(completed['stream']['finishReason']).toBe('error');
    expect(completed['answers'][0]['text']).toMatch(/Hotel and airport networks/);
    c.close();
  });
});
