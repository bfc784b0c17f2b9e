/**
 * Knowledge answers, end to end over a real Aisera WebSocket against a real node (SQLite in a temporary data
 * directory, the demo IT helpdesk and its knowledge base): time to the first streamed chunk and to the
 * completed answer, extractive and generative (against the local OpenAI-compatible SSE server of
 * test/support/fake-llm, streaming a fixed answer at a fixed token pace), next to an ordinary intent answer
 * of the same run as the baseline. `npm run bench:kb` [-- --n 200].
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/server/config/load.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, HELPDESK_BOT_DIR } from '../src/server/demo.js';
import { startNode } from '../src/server/node.js';
import { RawClient, request } from '../test/support/aisera-client.js';
import { FAKE_LLM_KEY, FAKE_LLM_MODEL, FakeLlm } from '../test/support/fake-llm.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200' } } });
const N = Number(values.n);
/** The generated answer: 60 tokens, one every 2 ms (about 120 ms of model time). */
const TOKENS = Array.from({ length: 60 }, (_, i) => `tok${i} `);
const TOKEN_MS = 2;
const QUESTIONS = ['how do i connect to the vpn from a hotel', 'how can a visitor get internet access', 'how do i install zoom', 'can i scan a document and email it to myself'];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Sample {
  firstChunk: number;
  answer: number;
}

async function measure(url: string, kind: 'baseline' | 'knowledge', n: number): Promise<Sample[]> {
  const c = await RawClient.connect(url);
  const out: Sample[] = [];
  const who = { token: DEMO_CHANNEL_KEY, userId: `bench-${kind}-${Date.now()}`, channelId: DEMO_CHANNEL_ID };
  for (let i = 0; i < n + 10; i++) {
    // Knowledge questions go as `isKL` (knowledge only), so no intent of the demo bot takes them.
    const req = request(who, kind === 'baseline' ? { text: 'thanks' } : { text: QUESTIONS[i % QUESTIONS.length]!, isKL: true });
    const from = c.frames.length;
    const t0 = performance.now();
    c.send(req);
    const first = c.next((f) => f['reqId'] === req.data.reqId && (f['modeType'] === 'StreamingInProgress' || f['final'] === true), 10_000, from).then(() => performance.now());
    await c.next((f) => f['reqId'] === req.data.reqId && f['final'] === true, 10_000, from);
    const t1 = performance.now();
    if (i >= 10) out.push({ firstChunk: (await first) - t0, answer: t1 - t0 }); // the first 10 warm up
  }
  c.close();
  return out;
}

async function node(dataDir: string, llm?: FakeLlm) {
  const config = loadConfig({
    env: { COLLOQUY_LOG_LEVEL: 'silent', ...(llm ? { COLLOQUY_KB_LLM_API_KEY: FAKE_LLM_KEY } : {}) },
    flags: { port: 0, dataDir, demo: 'on', demoBot: HELPDESK_BOT_DIR, rateLimitBurst: 100_000, rateLimitPerSec: 100_000, ...(llm ? { knowledgeLlmUrl: llm.baseUrl, knowledgeLlmModel: FAKE_LLM_MODEL } : {}) },
  });
  return startNode(config, { log: pino({ level: 'silent' }) });
}

async function main(): Promise<void> {
  const llm = await FakeLlm.start();
  llm.behaviour = { tokens: TOKENS, delayMs: TOKEN_MS, finishReason: 'stop' };
  const dirs = [mkdtempSync(join(tmpdir(), 'colloquy-kb-bench-')), mkdtempSync(join(tmpdir(), 'colloquy-kb-bench-'))];
  const extractive = await node(dirs[0]!);
  const generative = await node(dirs[1]!, llm);
  try {
    const rows: [string, Sample[]][] = [
      ['intent answer (baseline)', await measure(extractive.url, 'baseline', N)],
      ['knowledge, extractive', await measure(extractive.url, 'knowledge', N)],
      ['knowledge, generative', await measure(generative.url, 'knowledge', Math.max(20, Math.floor(N / 4)))],
    ];
    const base = pct(rows[0]![1].map((s) => s.answer), 50);
    console.log(`knowledge answers over the Aisera WebSocket (ms; SQLite, synchronous=full; model: ${TOKENS.length} tokens at ${TOKEN_MS} ms)`);
    console.log('what                         n    first chunk p50 / p99    answer p50 / p99    answer p50 vs baseline');
    for (const [what, xs] of rows) {
      const fc = xs.map((s) => s.firstChunk);
      const an = xs.map((s) => s.answer);
      console.log(
        `${what.padEnd(28)} ${String(xs.length).padStart(4)}    ${pct(fc, 50).toFixed(2).padStart(7)} / ${pct(fc, 99).toFixed(2).padStart(7)}      ${pct(an, 50).toFixed(2).padStart(7)} / ${pct(an, 99).toFixed(2).padStart(7)}    ×${(pct(an, 50) / base).toFixed(2)}`,
      );
    }
  } finally {
    await extractive.close();
    await generative.close();
    await llm.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
