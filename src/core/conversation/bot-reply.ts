import { newMessageId } from '../ids.js';
import type { NewEntry } from '../model.js';
import type { BotEngine, BotStream, BotTrigger, BotTurnOutput } from '../ports/bot.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { TurnContext } from './turn.js';

const BOT_ERROR_TEXT = 'Sorry, something went wrong on my side. Please try again.';

/**
 * The bot's turn as entries to append (and the stream to run, for a streamed answer); `undefined` when an
 * inline turn deferred (or would stream). A failing bot becomes an apology, never silence.
 */
export async function botReply(
  deps: { readonly clock: Clock; readonly log: Logger },
  bot: BotEngine,
  ctx: TurnContext,
  dialog: unknown,
  sessionId: string,
  trigger: BotTrigger,
  audience: string | undefined,
  inline: boolean,
): Promise<{ entries: NewEntry[]; dialog: unknown; stream?: BotStream } | undefined> {
  const conv = ctx.conversation;
  let out: BotTurnOutput;
  try {
    // (Every field always present: one object shape for every turn.)
    out = await bot.turn({ conversation: conv, sessionId, trigger, dialog, client: ctx.client, inline });
    if (out.defer || (inline && out.stream)) {
      if (inline) return undefined;
      throw new Error('a bot deferred a turn that was not inline');
    }
  } catch (err) {
    deps.log.error({ err, conversation: conv.id }, 'bot.turn_failed');
    out = { outputs: [{ kind: 'message', content: { type: 'text', text: BOT_ERROR_TEXT } }], dialog };
  }
  const at = deps.clock.now();
  const from = { role: 'bot', id: conv.botId } as const;
  const to = audience !== undefined ? { deviceId: audience } : undefined;
  const entries: NewEntry[] = out.outputs.map((o) => {
    const body: NewEntry['body'] =
      o.kind === 'message' ? { kind: 'bot_message', content: o.content } : o.detail !== undefined ? { kind: 'event', name: o.name, detail: o.detail } : { kind: 'event', name: o.name };
    const id = newMessageId();
    return to ? { id, at, from, sessionId, body, audience: to } : { id, at, from, sessionId, body };
  });
  return out.stream ? { entries, dialog: out.dialog, stream: out.stream } : { entries, dialog: out.dialog };
}
