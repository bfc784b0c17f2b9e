/**
 * Knowledge answers, end to end over a real Aisera WebSocket against a real node (SQLite in a temporary data
 * directory, the demo IT helpdesk and its knowledge base): time to the first streamed chunk and to the
 * completed answer, extractive and generative (against the local OpenAI-compatible SSE server of
 * test/support/fake-llm, streaming a fixed answer at a fixed token pace), next to an ordinary intent answer
 * of the same run as the baseline. Part of `npm run bench` (its "Knowledge answers" section); alone:
 * `npm run bench:kb` [-- --n 200].
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/server/config/load.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, HELPDESK_BOT_DIR } from '../src/server/demo.js';
import { startNode } from '../src/server/node.js';
import { RawClient, request } from '../test/support/aisera-client.js';
import { FAKE_LLM_KEY, FAKE_LLM_MODEL, FakeLlm } from '../test/support/fake-llm.js';

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

/** One kind of answer: how many, time to the first streamed chunk and to the final frame (ms). */
export interface KnowledgeRow {
  readonly what: string;
  readonly n: number;
  readonly firstChunkP50: number;
  readonly firstChunkP99: number;
  readonly answerP50: number;
  readonly answerP99: number;
}

export interface KnowledgeBench {
  readonly tokens: number;
  readonly tokenMs: number;
  /** The first row is the baseline (an ordinary intent answer). */
  readonly rows: readonly KnowledgeRow[];
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

/** Measure knowledge answers against fresh nodes in this process; `n` requests per kind (generative: n/4). */
export async function measureKnowledge(n = 200): Promise<KnowledgeBench> {
  const llm = await FakeLlm.start();
  llm.behaviour = { tokens: TOKENS, delayMs: TOKEN_MS, finishReason: 'stop' };
  const dirs = [mkdtempSync(join(tmpdir(), 'colloquy-kb-bench-')), mkdtempSync(join(tmpdir(), 'colloquy-kb-bench-'))];
  const extractive = await node(dirs[0]!);
  const generative = await node(dirs[1]!, llm);
  try {
    const measured: [string, Sample[]][] = [
      ['intent answer (baseline)', await measure(extractive.url, 'baseline', n)],
      ['knowledge, extractive', await measure(extractive.url, 'knowledge', n)],
      ['knowledge, generative', await measure(generative.url, 'knowledge', Math.max(20, Math.floor(n / 4)))],
    ];
    const rows = measured.map(([what, xs]) => {
      const fc = xs.map((s) => s.firstChunk);
      const an = xs.map((s) => s.answer);
      return { what, n: xs.length, firstChunkP50: pct(fc, 50), firstChunkP99: pct(fc, 99), answerP50: pct(an, 50), answerP99: pct(an, 99) };
    });
    return { tokens: TOKENS.length, tokenMs: TOKEN_MS, rows };
  } finally {
    await extractive.close();
    await generative.close();
    await llm.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The report section. */
export function formatKnowledge(k: KnowledgeBench): string {
  const base = k.rows[0]!.answerP50;
  const ms = (x: number) => x.toFixed(2);
  return [
    '### Knowledge answers',
    '',
    `Over a raw Aisera WebSocket against a node in the runner's process (SQLite, synchronous=full; the demo bot and its knowledge base), one request at a time; questions sent with \`isKL\`. Generative: a local OpenAI-compatible server streaming ${k.tokens} tokens, one every ${k.tokenMs} ms. Time to the first chunk = the first \`StreamingInProgress\` (or the final frame when nothing streams).`,
    '',
    '| what | n | first chunk p50 ms | p99 ms | answer p50 ms | p99 ms | answer p50 ÷ baseline |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...k.rows.map((r) => `| ${r.what} | ${r.n} | ${ms(r.firstChunkP50)} | ${ms(r.firstChunkP99)} | ${ms(r.answerP50)} | ${ms(r.answerP99)} | ${(r.answerP50 / base).toFixed(2)}× |`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '200' } } });
  console.log(formatKnowledge(await measureKnowledge(Number(values.n))));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
