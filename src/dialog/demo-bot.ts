import type { BotEngine, BotOutput, BotTurnInput, BotTurnOutput } from '../core/ports/bot.js';

/**
 * The small built-in demo bot (until the dialog engine lands): a greeting, help, a button and a
 * quick-reply example, and an echo for everything else. Its only state is whether it asked for a colour.
 */
interface DemoState {
  readonly awaiting?: 'colour';
}

const COLOURS = ['Red', 'Green', 'Blue'] as const;
const say = (text: string): BotOutput => ({ kind: 'message', content: { type: 'text', text } });

const HELP: BotOutput = {
  kind: 'message',
  content: {
    type: 'buttons',
    text: 'Here is what I can show you:',
    buttons: [
      { kind: 'postback', title: 'Buttons', payload: 'show buttons' },
      { kind: 'postback', title: 'Quick replies', payload: 'show quick replies' },
      { kind: 'link', title: 'Kore message templates', url: 'https://developer.kore.ai/docs/bots/sdks/message-templates/' },
    ],
  },
};

const FRUIT: BotOutput = {
  kind: 'message',
  content: {
    type: 'buttons',
    text: 'Pick a fruit:',
    buttons: [
      { kind: 'postback', title: 'Apple', payload: 'fruit apple' },
      { kind: 'postback', title: 'Banana', payload: 'fruit banana' },
      { kind: 'postback', title: 'Cherry', payload: 'fruit cherry' },
    ],
  },
};

const COLOUR_QUESTION: BotOutput = {
  kind: 'message',
  content: {
    type: 'quickReplies',
    text: 'What is your favourite colour?',
    replies: COLOURS.map((c) => ({ title: c, payload: `colour ${c.toLowerCase()}` })),
  },
};

const normalise = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\s+/g, ' ').trim();

export class DemoBot implements BotEngine {
  readonly inline = true;

  async turn(input: BotTurnInput): Promise<BotTurnOutput> {
    const state = (input.dialog ?? {}) as DemoState;
    if (input.trigger.type === 'connect') {
      return { outputs: [say("Hi! I'm the Colloquy demo bot. Say \"help\" to see what I can do.")], dialog: input.dialog };
    }
    const text = normalise(input.trigger.input.text);

    if (state.awaiting === 'colour') {
      const colour = COLOURS.find((c) => text === `colour ${c.toLowerCase()}` || text === c.toLowerCase());
      if (colour) return { outputs: [say(`${colour} it is — a fine choice.`)], dialog: {} };
    }
    if (/^(hi|hello|hey|good (morning|afternoon|evening))\b/.test(text)) {
      return { outputs: [say('Hello! How can I help you today? Say "help" for a tour.')], dialog: input.dialog };
    }
    if (text === 'help' || text === 'what can you do') return { outputs: [HELP], dialog: input.dialog };
    if (text === 'show buttons' || text === 'buttons') return { outputs: [FRUIT], dialog: input.dialog };
    if (text.startsWith('fruit ')) return { outputs: [say(`You picked ${text.slice(6)}.`)], dialog: input.dialog };
    if (text === 'show quick replies' || text === 'quick replies' || text === 'colour' || text === 'color') {
      return { outputs: [COLOUR_QUESTION, { kind: 'event', name: 'waiting_for_user_input' }], dialog: { awaiting: 'colour' } };
    }
    return { outputs: [say(`You said: ${input.trigger.input.text}`)], dialog: state.awaiting ? {} : input.dialog };
  }
}
