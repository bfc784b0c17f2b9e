import type { HandoffEndReason, UserInput } from '../core/model.js';
import type { BotEngine, BotStream, BotTurnInput, BotTurnOutput } from '../core/ports/bot.js';
import type { Knowledge } from '../core/ports/knowledge.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import { systemIntentName, type CompiledBot } from './definition/compiled.js';
import { SYSTEM_INTENTS, type SystemIntent } from './definition/bot-schema.js';
import { expectsFreeText } from './flow/asking.js';
import { fetchCaller } from './flow/http.js';
import { askWhich, begin, chosen, systemIntent } from './flow/navigation.js';
import { answer, nodeOf, retry, startFlow } from './flow/runner.js';
import { openState, sameJson, top } from './flow/state.js';
import { Deferred, Turn, type ServiceCaller, type TurnServices } from './flow/turn.js';
import type { IntentScore } from './nlu/classifier.js';

export interface DialogEngineOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** How HTTP nodes call out (default: `fetch`). */
  readonly http?: ServiceCaller;
  /** Values of the secrets the bot declares. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Host values for `{{system.<name>}}`, read at each turn (the server's URL is known only once it listens). */
  readonly constants?: () => Readonly<Record<string, string>>;
  /** The bot's knowledge base: it answers what no intent matches (and Aisera's knowledge-only requests). */
  readonly knowledge?: Knowledge;
}

/** What the classifier made of an utterance. */
export interface Understanding {
  readonly ranked: readonly IntentScore[];
  /** The intent to act on, if one is clear enough. */
  readonly intent?: string;
  /** Close contenders (the bot asks which one). */
  readonly ambiguous?: readonly string[];
}

const APOLOGY = 'Sorry, something went wrong on my side. Let us start again.';
const NO_KNOWLEDGE = "Sorry, I couldn't find anything about that in the knowledge base.";
const PAYLOAD = /^\/([A-Za-z][A-Za-z0-9_:-]*)$/;
const systemOf = (intent: string): SystemIntent | undefined =>
  SYSTEM_INTENTS.find((s) => systemIntentName(s) === intent || s === intent);

/**
 * The dialog engine: a compiled bot definition run against one conversation's turn. Pure apart from HTTP
 * nodes, so it runs inline (before the user's message is stored) and defers the turns that reach an HTTP
 * node. Its state lives in the conversation's state row; any node can continue any conversation.
 */
export class DialogEngine implements BotEngine {
  readonly inline = true;
  private readonly services: Omit<TurnServices, 'constants'>;

  constructor(
    readonly bot: CompiledBot,
    private readonly options: DialogEngineOptions,
  ) {
    this.services = { now: () => options.clock.now(), log: options.log, http: options.http ?? fetchCaller, secrets: options.secrets ?? {} };
  }

  async turn(input: BotTurnInput): Promise<BotTurnOutput> {
    const { state, stored } = openState(input.dialog, input.sessionId, this.bot.variables);
    const client = input.client ?? {};
    if (client.sessionVars) for (const k in client.sessionVars) state.sessionVars[k] = client.sessionVars[k]!;
    const trigger = input.trigger;
    const userInput: UserInput = trigger.type === 'message' ? trigger.input : { text: '' };
    // (Not `{ ...this.services, constants }`: V8 adds a key to a spread copy through its slow path, ~1 µs.)
    const { now, log, http, secrets } = this.services;
    const services: TurnServices = { now, log, http, secrets, constants: this.options.constants?.() ?? {} };
    // Knowledge lookup only: no flow, no change to the dialog state.
    if (trigger.type === 'message' && trigger.input.knowledgeOnly) {
      const stream = this.options.knowledge?.ask(trigger.input.text);
      if (!stream) return { outputs: [{ kind: 'message', content: { type: 'text', text: NO_KNOWLEDGE } }], dialog: input.dialog };
      return input.inline ? { outputs: [], dialog: input.dialog, defer: true } : { outputs: [], dialog: input.dialog, stream };
    }
    const turn = new Turn(this.bot, state, services, input.conversation, client, userInput, input.inline === true);
    let stream: BotStream | undefined;
    try {
      if (trigger.type === 'connect') {
        if (this.bot.welcome && state.stack.length === 0) await startFlow(turn, this.bot.welcome);
      } else if (trigger.type === 'handoff_ended') await this.backFromHumans(turn, trigger.reason);
      else stream = (await this.message(turn, trigger.input)) ?? undefined;
    } catch (err) {
      if (err instanceof Deferred) return { outputs: [], dialog: input.dialog, defer: true };
      this.options.log.error({ err, conversation: input.conversation.id, bot: this.bot.name }, 'dialog.turn_failed');
      state.stack = [];
      delete state.choose;
      return { outputs: [{ kind: 'message', content: { type: 'text', text: APOLOGY } }], dialog: state };
    }
    const unchanged = stored !== undefined && sameJson(stored, state);
    const dialog = unchanged ? input.dialog : state;
    return stream ? { outputs: turn.outputs, dialog, stream } : { outputs: turn.outputs, dialog };
  }

  /** Rank the intents for an utterance and decide (thresholds, ambiguity), as a turn would. */
  understand(text: string): Understanding {
    const ranked = this.bot.classifier.rank(this.bot.classifier.analyse(text));
    const { threshold, ambiguityMargin } = this.bot.nlu;
    const [best, second] = ranked;
    if (!best || best.score < threshold) return { ranked };
    if (second && second.score >= threshold && best.score - second.score < ambiguityMargin) return { ranked, ambiguous: [best.intent, second.intent] };
    return { ranked, intent: best.intent };
  }

  /** A handoff ended: say so, or run the bot's `noAgent` flow when nobody came. */
  private async backFromHumans(turn: Turn, reason: HandoffEndReason): Promise<void> {
    if (reason === 'transferred' || reason === 'sessionEnded' || reason === 'userIdle') return;
    if (reason === 'noAgentAvailable') {
      turn.text(turn.message('noAgent'));
      if (this.bot.noAgent) await startFlow(turn, this.bot.noAgent);
      return;
    }
    turn.text(turn.message('agentLeft'));
  }

  /** Act on a message; a knowledge answer comes back as the stream to run. */
  private async message(turn: Turn, input: UserInput): Promise<BotStream | void> {
    const state = turn.state;
    const text = input.text;
    if (input.action) return systemIntent(turn, input.action === 'exit' ? 'cancel' : input.action, text);

    // A button whose payload names a flow or a system intent: no understanding needed.
    const payload = PAYLOAD.exec(text.trim())?.[1];
    if (payload !== undefined) {
      const sys = systemOf(payload);
      if (sys) {
        delete state.choose;
        return systemIntent(turn, sys, text);
      }
      if (this.bot.flows.has(payload)) {
        const trigger = state.choose?.intents.includes(payload) ? state.choose.text : undefined;
        delete state.choose;
        return begin(turn, payload, trigger);
      }
    }
    if (state.choose) {
      const pick = chosen(turn, text);
      const about = state.choose.text;
      delete state.choose;
      if (pick) return this.act(turn, pick, about);
    }
    const command = this.bot.commands.match(text);
    if (command) return systemIntent(turn, command, text);

    const frame = top(state);
    if (frame?.wait) {
      const node = nodeOf(turn, frame, frame.wait.node);
      if (!node || (node.type !== 'prompt' && node.type !== 'confirm' && node.type !== 'form')) {
        state.stack.pop();
        return this.route(turn, text);
      }
      const result = await answer(turn, frame, input);
      if (result.ok) return;
      if (result.reason === 'stale') {
        turn.text(result.message ?? '');
        turn.event('waiting_for_user_input');
        return;
      }
      // Free text is the answer (only exact commands, above, interrupt it); so is a submitted form. Otherwise
      // an answer that is not what was asked may be another request: it interrupts when clearly one.
      if (!input.form && !expectsFreeText(node, frame.wait) && this.bot.flows.get(frame.flow)?.interruptible !== false) {
        const u = this.understand(text);
        const best = u.ranked[0];
        if (u.intent && best && best.score >= this.bot.nlu.interruptThreshold && u.intent !== frame.flow) return this.act(turn, u.intent, text);
      }
      const wait = frame.wait!;
      const part = wait.parts?.[wait.part ?? 0];
      if (part && 'form' in part && !input.form && result.reason === 'unrecognised') {
        // The form is on screen: point at it rather than counting a failed answer.
        turn.text(turn.message('formPending', frame));
        turn.event('waiting_for_user_input');
        return;
      }
      return retry(turn, frame, result);
    }
    return this.route(turn, text);
  }

  /** Nothing waits for an answer: understand the utterance and act on it; the knowledge base answers the rest. */
  private async route(turn: Turn, text: string): Promise<BotStream | void> {
    const u = this.understand(text);
    if (u.ambiguous) return askWhich(turn, text, u.ambiguous);
    if (u.intent) return this.act(turn, u.intent, text);
    const stream = this.options.knowledge?.ask(text);
    if (stream) {
      // It streams (and may call a model): not inline.
      if (turn.inline) throw new Deferred();
      return stream;
    }
    if (this.bot.fallback) return startFlow(turn, this.bot.fallback, text);
    turn.text(turn.message('fallback'));
  }

  private act(turn: Turn, intent: string, text: string): Promise<void> {
    const sys = systemOf(intent);
    return sys ? systemIntent(turn, sys, text) : begin(turn, intent, text);
  }
}
