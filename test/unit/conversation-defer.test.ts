/**
 * Inline bots and deferred turns (ConversationService): an inline turn is stored with the user's message
 * in one append; a turn the bot defers (it needs to call out) is run again after the message is stored
 * and acknowledged; the client context reaches the bot and is never stored.
 */
import { describe, expect, test } from 'vitest';
import type { BotTurnInput, BotTurnOutput } from '../../src/core/ports/bot.js';
import { conversationScript, say } from './support/conversation.js';

describe('inline turns', () => {
  test('an inline answer is stored in the same append as the message; a deferred one after the ack', async () => {
    const runs: string[] = [];
    const c = conversationScript((i: BotTurnInput): BotTurnOutput => {
      const text = i.trigger.type === 'message' ? i.trigger.input.text : '';
      runs.push(`${text}${i.inline ? ' (inline)' : ''}`);
      if (text === 'call out' && i.inline) return { outputs: [say('never stored')], dialog: 'ignored', defer: true };
      return { outputs: [say(`re: ${text}`)], dialog: { last: text } };
    });
    Object.assign(c.bot, { inline: true });
    const order: string[] = [];
    const headAtAck: number[] = [];
    await c.service.receive(c.on(), { text: 'hello' }, 'cm-1', () => void order.push('ack hello'));
    await c.service.receive(c.on(), { text: 'call out' }, 'cm-2', (a) => {
      order.push('ack call out');
      headAtAck.push(a.seq);
    });
    expect(runs).toEqual(['hello (inline)', 'call out (inline)', 'call out']);
    expect(await c.script()).toEqual(['session_start', 'user:hello', 'bot:re: hello', 'user:call out', 'bot:re: call out']);
    expect((await c.state()).value.dialog).toEqual({ last: 'call out' });
    // The ack of the deferred turn named the stored message, before the bot's second run.
    expect(headAtAck).toEqual([4]);
    expect(order).toEqual(['ack hello', 'ack call out']);
  });

  test('a bot that defers a turn which was not inline fails into an apology, never silence', async () => {
    const c = conversationScript(() => ({ outputs: [], dialog: undefined, defer: true }));
    await c.send('hi');
    expect(await c.script()).toEqual(['session_start', 'user:hi', 'bot:Sorry, something went wrong on my side. Please try again.']);
  });

  test('the client context reaches the bot, and is not stored', async () => {
    const c = conversationScript();
    const client = { channel: 'kore', capabilities: { forms: { fieldTypes: ['text' as const] } }, sessionVars: { dept: 'IT' } };
    await c.service.receive({ ...c.on(), client }, { text: 'hi' }, undefined, () => {});
    expect(c.bot.turns[0]!.client).toEqual(client);
    expect(JSON.stringify(await c.log())).not.toContain('dept');
  });
});
