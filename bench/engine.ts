/**
 * The dialog engine alone: turns of the demo IT helpdesk (bots/helpdesk) run straight against
 * `DialogEngine.turn` — no sockets, no storage, no core service — with a scripted mix of conversations
 * (greeting, password reset, hardware form, tickets through HTTP nodes answered in-process, fallback).
 * Reported by `npm run bench` and on its own by `npm run bench:engine`.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/core/memory/clock.js';
import type { UserInput } from '../src/core/model.js';
import { silentLogger } from '../src/core/ports/logger.js';
import type { BotTurnInput } from '../src/core/ports/bot.js';
import { loadBotDefinition } from '../src/dialog/definition/load.js';
import { DialogEngine } from '../src/dialog/engine.js';
import type { ServiceCaller } from '../src/dialog/flow/turn.js';
import { f0, f2 } from './format.js';

const HELPDESK = fileURLToPath(new URL('../bots/helpdesk', import.meta.url));

export interface EngineBench {
  readonly bot: string;
  readonly conversations: number;
  readonly turns: number;
  /** Per turn, in microseconds. */
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly turnsPerSec: number;
  /** Turns that reached an HTTP node ran twice (inline, deferred, then out of line), as in the server. */
  readonly deferred: number;
}

const KORE = { channel: 'bench', capabilities: { forms: { fieldTypes: ['text', 'textarea', 'number', 'date'] as const } } };

/** One conversation's turns, as the user would type or click them. */
const SCRIPT: readonly (UserInput | 'connect')[] = [
  'connect',
  { text: 'hi' },
  { text: 'reset my password' },
  { text: 'vpn' },
  { text: 'jane.doe@example.com' },
  { text: 'yes' },
  { text: 'I need a new laptop' },
  { text: 'Laptop', display: 'Laptop' },
  { text: '{}', form: { values: { quantity: '2', neededBy: 'next friday', reason: 'New hires' }, typed: false } },
  { text: 'no', display: 'No' },
  { text: 'yes', display: 'Send it' },
  { text: 'my printer is broken' },
  { text: 'The printer on floor 2 jams on every page' },
  { text: 'high' },
  { text: 'go back' },
  { text: 'high' },
  { text: 'yes' },
  { text: 'what is the status of HD-1001' },
  { text: 'what is the weather on mars' },
  { text: 'thanks a lot' },
];

/** Ticket service answers, in-process: the engine's HTTP path without a network. */
const stubTickets: ServiceCaller = {
  async call(req) {
    if (req.method === 'POST') return { status: 201, body: { id: 'HD-1001', status: 'open' } };
    return { status: 200, body: { id: 'HD-1001', category: 'incident', summary: 'Printer jams', status: 'open', priority: 'high', openedOn: '2030-01-14' } };
  },
};

export async function measureEngine(conversations = 300, warmup = 50): Promise<EngineBench> {
  const engine = new DialogEngine(loadBotDefinition(HELPDESK), {
    clock: systemClock,
    log: silentLogger,
    http: stubTickets,
    secrets: { HELPDESK_TOKEN: 'bench' },
    constants: () => ({ serverUrl: 'http://127.0.0.1:9' }),
  });
  const samples: number[] = [];
  let deferred = 0;
  for (let c = 0; c < warmup + conversations; c++) {
    const conversation = { id: `c-${c}`, botId: 'st-bench', userId: `u-${c}` };
    let dialog: unknown;
    for (const step of SCRIPT) {
      const base = { conversation, sessionId: `s-${c}`, dialog, client: KORE };
      const input: BotTurnInput = step === 'connect' ? { ...base, trigger: { type: 'connect' } } : { ...base, trigger: { type: 'message', input: step }, inline: true };
      const t0 = performance.now();
      let out = await engine.turn(input);
      if (out.defer) {
        const { inline: _inline, ...outOfLine } = input;
        out = await engine.turn(outOfLine);
        if (c >= warmup) deferred++;
      }
      const t1 = performance.now();
      if (c >= warmup) samples.push((t1 - t0) * 1000);
      dialog = out.dialog;
    }
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    bot: 'bots/helpdesk',
    conversations,
    turns: samples.length,
    meanUs: total / samples.length,
    p50Us: at(0.5),
    p99Us: at(0.99),
    maxUs: samples[samples.length - 1]!,
    turnsPerSec: samples.length / (total / 1e6),
    deferred,
  };
}

export function formatEngine(e: EngineBench): string {
  return [
    '### Dialog engine alone',
    '',
    `The demo bot (${e.bot}), ${e.conversations} scripted conversations of ${SCRIPT.length} turns each (greeting, password reset, hardware form, tickets, go back, fallback), ` +
      'run straight against `DialogEngine.turn` in this process: no sockets, no storage; HTTP nodes answered in-process.',
    '',
    '| turns | mean µs | p50 µs | p99 µs | max µs | turns/s | deferred (HTTP) turns |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${e.turns} | ${f2(e.meanUs)} | ${f2(e.p50Us)} | ${f2(e.p99Us)} | ${f0(e.maxUs)} | ${f0(e.turnsPerSec)} | ${e.deferred} |`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  measureEngine().then((e) => console.log(formatEngine(e)));
}
