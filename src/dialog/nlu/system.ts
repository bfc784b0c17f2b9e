import type { SystemIntent } from '../definition/bot-schema.js';
import { normalise } from './text.js';

/**
 * System intents work everywhere, also in the middle of a flow. Their short commands are recognised
 * exactly ("back", "start over", "cancel"), so that a free-text answer that merely contains such a word
 * is not taken for one; longer phrasings go to the intent classifier like any example. A bot may replace
 * both (bot.yaml `system.<intent>`: `builtin: false`, `commands`, `examples`).
 */
/** Short commands, recognised exactly (after polite filler is stripped), in any state. */
export const SYSTEM_COMMANDS: Readonly<Record<SystemIntent, readonly string[]>> = {
  help: ['help', 'menu', 'options', 'what can you do', 'show menu', 'show me the menu', 'help please'],
  cancel: ['cancel', 'stop', 'exit', 'quit', 'abort', 'never mind', 'nevermind', 'forget it', 'cancel that', 'cancel this', 'stop this'],
  startOver: ['start over', 'restart', 'start again', 'begin again', 'start from scratch', 'from the beginning', 'start over again'],
  goBack: ['go back', 'back', 'previous', 'previous question', 'undo', 'step back', 'go back one step'],
  agent: ['agent', 'human', 'live agent', 'talk to an agent', 'speak to an agent', 'talk to a human', 'speak to a person', 'real person', 'operator'],
};

/** Longer phrasings, given to the intent classifier like any example (never single words: too loose). */
export const SYSTEM_EXAMPLES: Readonly<Record<SystemIntent, readonly string[]>> = {
  help: ['what can you do', 'what can i ask you', 'show me the menu', 'how does this work', 'what are my options', 'i need help using this bot', 'what can i say'],
  cancel: ['cancel that', 'stop this', 'i changed my mind', 'forget about it', 'never mind that', 'i do not want to continue'],
  startOver: ['start over', 'start again', 'begin again', 'from the beginning', 'start from scratch', 'let us start over'],
  goBack: ['previous question', 'go to the previous step', 'change my last answer', 'undo my last answer'],
  agent: ['talk to an agent', 'speak to an agent', 'live agent', 'talk to a human', 'speak to a person', 'talk to someone', 'customer service', 'connect me to an agent', 'i want a real person', 'escalate to a human'],
};

const FILLER = new Set(['please', 'pls', 'plz', 'ok', 'okay', 'just', 'now', 'thanks', 'thank', 'you', 'hey', 'so', 'um', 'uh', 'oh', 'i', 'want', 'to', 'let', 'me', 'can', 'could', 'we']);

/** The utterance without polite filler at its ends ("ok, go back please" → "go back"). */
export function commandKey(text: string): string {
  const ws = normalise(text).split(' ').filter(Boolean);
  let a = 0;
  let b = ws.length;
  while (a < b && FILLER.has(ws[a]!)) a++;
  while (b > a && FILLER.has(ws[b - 1]!)) b--;
  return ws.slice(a, b).join(' ');
}

export class SystemCommands {
  private readonly exact = new Map<string, SystemIntent>();

  /** `commands`: the commands of each intent (the built-in ones unless a bot gives its own). */
  constructor(commands: Readonly<Record<SystemIntent, readonly string[]>>) {
    for (const [intent, phrases] of Object.entries(commands) as [SystemIntent, readonly string[]][]) {
      for (const p of phrases) {
        const key = commandKey(p);
        if (key && !this.exact.has(key)) this.exact.set(key, intent);
      }
    }
  }

  /** The system intent this utterance is, as a command; undefined when it is anything else. */
  match(text: string): SystemIntent | undefined {
    return this.exact.get(commandKey(text));
  }
}
