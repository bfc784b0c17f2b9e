import type { SystemIntent } from '../definition/bot-schema.js';
import { ChoiceMatcher } from '../nlu/entities/index.js';
import { ask } from './asking.js';
import { question } from './content.js';
import { finish, handoff, nodeOf, reask, startFlow } from './runner.js';
import { top } from './state.js';
import type { Turn } from './turn.js';

/** What works everywhere: help, cancel, start over, go back, talk to an agent; and "which did you mean?". */

/** Start a flow; a flow that waits is interrupted and resumes when this one ends. */
export async function begin(turn: Turn, flowId: string, trigger?: string): Promise<void> {
  const frame = top(turn.state);
  if (frame?.flow === flowId && frame.wait) {
    // Asked for what is already running: carry on with it.
    reask(turn, frame);
    return;
  }
  await startFlow(turn, flowId, trigger);
}

/** Flows a user can ask for, as a menu (buttons whose payload starts them). */
function menu(turn: Turn): { value: string; label: string }[] {
  return [...turn.bot.flows.values()]
    .filter((f) => turn.bot.classifier.intents.includes(f.id) && f.id !== turn.bot.system.help && f.id !== turn.bot.fallback)
    .slice(0, 10)
    .map((f) => ({ value: `/${f.id}`, label: f.title }));
}

export async function systemIntent(turn: Turn, intent: SystemIntent, text: string): Promise<void> {
  const frame = top(turn.state);
  const waiting = frame?.wait ? frame : undefined;
  switch (intent) {
    case 'help': {
      const node = waiting && nodeOf(turn, waiting, waiting.wait!.node);
      const local = node && 'help' in node.def ? node.def.help : undefined;
      if (waiting && local) return reask(turn, waiting, turn.render(local, waiting));
      if (turn.bot.system.help) return begin(turn, turn.bot.system.help, text);
      const options = menu(turn);
      turn.say(options.length ? { type: 'buttons', text: turn.message('help'), buttons: options.map((o) => ({ kind: 'postback', title: o.label, payload: o.value })) } : { type: 'text', text: turn.message('help') });
      if (waiting) reask(turn, waiting);
      return;
    }
    case 'cancel':
      if (!waiting) return turn.text(turn.message('nothingToCancel'));
      turn.text(turn.message('cancelled', waiting));
      return finish(turn, waiting, 'exited');
    case 'startOver': {
      turn.text(turn.message('startingOver', waiting));
      if (!waiting) {
        if (turn.bot.welcome) await startFlow(turn, turn.bot.welcome);
        return;
      }
      // The same flow, as a new run with nothing answered; a flow it interrupted stays interrupted.
      turn.state.stack.pop();
      const flow = turn.flow(waiting.flow);
      if (flow.interactive) turn.event('flow_completed', { flow: { id: waiting.flow, runId: waiting.run, title: flow.title, status: 'exited' } });
      return startFlow(turn, waiting.flow);
    }
    case 'goBack': {
      if (!waiting || waiting.steps.length < 2) {
        turn.text(turn.message('cannotGoBack', waiting));
        if (waiting) reask(turn, waiting);
        return;
      }
      waiting.steps.pop();
      const prev = waiting.steps.pop()!;
      waiting.slots = prev.slots;
      const node = nodeOf(turn, waiting, prev.node);
      if (!node || (node.type !== 'prompt' && node.type !== 'confirm' && node.type !== 'form')) return reask(turn, waiting);
      ask(turn, waiting, node, { node: node.id, ...(prev.parts ? { parts: prev.parts, part: prev.part ?? 0 } : {}), tries: 0 }, { record: true });
      return;
    }
    case 'agent':
      if (turn.bot.system.agent) return startFlow(turn, turn.bot.system.agent, text);
      turn.text(turn.message('handoff', waiting));
      return handoff(turn, { reason: 'user asked' });
  }
}

/** Two intents matched about as well: ask which one, and remember the utterance for the flow it starts. */
export function askWhich(turn: Turn, text: string, intents: readonly string[]): void {
  const options = intents.map((id) => ({ value: `/${id}`, label: intentTitle(turn, id) }));
  turn.say(question(turn.message('ambiguous'), options));
  turn.event('waiting_for_user_input');
  turn.state.choose = { text, intents };
}

export function intentTitle(turn: Turn, id: string): string {
  if (id.startsWith('system:')) return { help: 'Help', cancel: 'Cancel', startOver: 'Start over', goBack: 'Go back', agent: 'Talk to an agent' }[id.slice(7)] ?? id;
  return turn.bot.flows.get(id)?.title ?? id;
}

/** The answer to "which did you mean?": one of the intents offered, or undefined. */
export function chosen(turn: Turn, text: string): string | undefined {
  const offered = turn.state.choose?.intents ?? [];
  const payload = /^\/(\S+)$/.exec(text.trim())?.[1];
  if (payload && offered.includes(payload)) return payload;
  const matcher = new ChoiceMatcher(offered.map((id) => ({ value: id, label: intentTitle(turn, id) })));
  return matcher.one(text)?.value;
}
