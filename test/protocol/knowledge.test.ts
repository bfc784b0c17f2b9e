/**
 * Knowledge answers on the wire, extractive (the default, offline), against the demo bot and its IT knowledge
 * base: the Aisera streaming sequence, the one-frame answer without streaming (declared, or REST), `isKL`
 * (knowledge only: no flow, no dialog change), and the Kore channel (typing indicator, then the answer).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, request, rest, uniqueUser, type Frame } from '../support/aisera-client.js';
import { checkStream, QUESTION } from '../support/streams.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR, rateLimitBurst: 1000, rateLimitPerSec: 500 } });
});
afterAll(async () => {
  await server.stop();
});

const demo = (userId = uniqueUser()) => ({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID });

describe('Aisera: a question no intent matches is answered from the knowledge base', () => {
  test('StatusUpdate → StreamingInProgress → StreamingCompleted, with the authoritative text and citations', async () => {
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION }));
    const { text, completed } = checkStream(frames);
    expect(completed['stream']['finishReason']).toBe('stop');
    const answers = completed['answers'] as Frame[];
    expect(answers[0]).toMatchObject({ type: 'text', format: 'markdown' });
    expect(answers[0]!['text']).toBe(text);
    expect(text).toMatch(/Hotel and airport networks/);
    expect(answers[1]!['type']).toBe('kb');
    expect(answers[1]!['articles'][0]).toMatchObject({ title: 'VPN access: VPN troubleshooting', url: 'https://intranet.example.com/it/kb/vpn#vpn-troubleshooting' });
    expect(answers[1]!['articles'][0]['snippet']).toMatch(/VPN/);
    c.close();
  });

  test('isStreamingSupported: false → one ordinary frame with the answer', async () => {
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: QUESTION, channelCapabilities: { isStreamingSupported: false } }));
    expect(frames).toHaveLength(1);
    expect(frames[0]!['modeType']).toBeUndefined();
    expect(frames[0]!['final']).toBe(true);
    expect((frames[0]!['answers'] as Frame[]).map((a) => a['type'])).toEqual(['text', 'kb']);
    c.close();
  });

  test('REST never streams: one frame', async () => {
    const r = await rest(server.url, request(demo(), { text: QUESTION }));
    expect(r.status).toBe(200);
    expect(r.body['responses']).toHaveLength(1);
    expect(r.body['responses'][0]['modeType']).toBeUndefined();
    expect(r.body['answers'][0]['text']).toMatch(/Hotel and airport networks/);
  });

  test('nothing in the knowledge base about it: the bot\'s usual fallback', async () => {
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: 'zxqv blorp' }));
    expect(frames.some((f) => String(f['modeType']).startsWith('Streaming'))).toBe(false);
    expect(JSON.stringify(frames)).toMatch(/didn't catch that/);
    c.close();
  });
});

describe('Aisera isKL: knowledge only', () => {
  test('a question that would start a flow is answered from the knowledge base, and the running flow is left as it was', async () => {
    const c = await RawClient.connect(server.url);
    const who = demo();
    // A flow waits for an answer …
    const started = await c.ask(request(who, { text: 'I forgot my password' }));
    expect(started.some((f) => f['modeType'] === 'FlowStarted')).toBe(true);
    // … an isKL request that names an intent starts no flow and changes nothing …
    const kl = await c.ask(request(who, { text: 'what is the wifi password', isKL: true }));
    expect(kl.some((f) => f['modeType'] === 'FlowStarted' || f['modeType'] === 'FlowCompleted')).toBe(false);
    const { completed } = checkStream(kl);
    expect(completed['answers'][1]['articles'][0]['url']).toMatch(/^https:\/\/intranet\.example\.com\/it\/kb\/wifi#/);
    // … and the flow still waits for its answer.
    const next = await c.ask(request(who, { text: 'Cancel' }));
    expect(next.some((f) => f['modeType'] === 'FlowCompleted' && f['flow']['status'] === 'exited')).toBe(true);
    c.close();
  });

  test('isKL with a question the knowledge base cannot answer: says so, no fallback flow', async () => {
    const c = await RawClient.connect(server.url);
    const frames = await c.ask(request(demo(), { text: 'zxqv blorp', isKL: true }));
    expect(frames).toHaveLength(1);
    expect(frames[0]!['answers'][0]['text']).toMatch(/couldn't find anything/);
    c.close();
  });
});

describe('Kore: the answer as ordinary bot_responses once complete (the SDK shows its own typing indicator meanwhile)', () => {
  test('the text and the sources, nothing before them; no partial frames', async () => {
    const { KoreClient } = await import('../support/kore-client.js');
    const client = await KoreClient.login(server.url);
    const socket = await client.connect();
    const msg = client.message(QUESTION);
    const from = socket.frames.length;
    socket.send(msg);
    const sources = await socket.next((f) => f['type'] === 'bot_response' && String(f['message'][0].cInfo.body).includes('"template_type":"list"'), 5000, from);
    const answer = socket.frames.slice(from).filter((f) => f['type'] === 'bot_response');
    expect(answer).toHaveLength(2);
    const [text] = answer;
    expect(text!['message'][0].cInfo.body).toMatch(/Hotel and airport networks/);
    expect(answer.map((f) => f['seq'])).toEqual([...answer.map((f) => f['seq'] as number)].sort((a, b) => a - b));
    expect(sources['message'][0].component.payload.payload.elements[0]).toMatchObject({ title: 'VPN access: VPN troubleshooting' });
    // Nothing but bot_responses and the ack: stream events are not Kore frames.
    expect(new Set(socket.frames.slice(from).map((f) => f['type']))).toEqual(new Set(['ack', 'bot_response']));
    await socket.close();
  });
});
