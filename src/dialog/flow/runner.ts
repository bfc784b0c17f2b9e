import type { UserInput } from '../../core/model.js';
import { END, type CompiledNode } from '../definition/compiled.js';
import { readEntity } from '../nlu/entities/index.js';
import { ask, currentPart, formErrors, keep, read, type Answer } from './asking.js';
import { holds } from './condition.js';
import { fixedContents, messageContents } from './content.js';
import { planParts } from './forms.js';
import { runHttp } from './http.js';
import { MAX_STACK, top, type Frame, type Wait } from './state.js';
import type { Turn } from './turn.js';

/** Running flows: node by node until one waits for the user or the flow ends. */

const MAX_STEPS_PER_TURN = 200;
type Status = 'completed' | 'exited' | 'failed' | 'handoff';

export function nodeOf(turn: Turn, frame: Frame, id = frame.node): CompiledNode | undefined {
  return turn.flow(frame.flow).nodes.get(id);
}

/** Start a flow on top of the stack (a new run), from the utterance that asked for it. */
export async function startFlow(turn: Turn, flowId: string, trigger?: string): Promise<void> {
  const flow = turn.flow(flowId);
  const stack = turn.state.stack;
  if (stack.length >= MAX_STACK) stack.shift();
  // A flow that never waits ends in this turn: it needs no run id (and a turn that only says something
  // leaves the state untouched, so nothing is written).
  const run = flow.interactive ? turn.nextId('fr') : 'once';
  const frame: Frame = { flow: flowId, run, node: flow.start, slots: {}, steps: [], ...(trigger ? { trigger } : {}) };
  stack.push(frame);
  if (flow.interactive) turn.event('flow_started', { flow: { id: flowId, runId: frame.run, title: flow.title } });
  await advance(turn, frame, flow.start);
}

/** Run `frame` from node `id` on. */
export async function advance(turn: Turn, frame: Frame, id: string): Promise<void> {
  let at = id;
  for (;;) {
    if (at === END) return finish(turn, frame, 'completed');
    const node = nodeOf(turn, frame, at);
    if (!node) {
      turn.services.log.warn({ flow: frame.flow, node: at }, 'dialog.unknown_node');
      return finish(turn, frame, 'failed');
    }
    if (++turn.steps > MAX_STEPS_PER_TURN) throw new Error(`flow ${frame.flow} ran more than ${MAX_STEPS_PER_TURN} nodes in one turn`);
    frame.node = at;
    delete frame.wait;
    switch (node.type) {
      case 'message':
        for (const c of fixedContents(node.def) ?? messageContents(node.def, (s) => turn.render(s, frame), (path, card) => turn.each(frame, path, card))) turn.say(c);
        at = node.next;
        break;
      case 'set':
        for (const [path, v] of Object.entries(node.def.values)) turn.assign(frame, path, turn.renderValue(v, frame));
        at = node.next;
        break;
      case 'condition':
        at = node.def.branches.find((b) => holds(b.when, turn.lookup(frame)))?.next ?? node.next;
        break;
      case 'http': {
        const next = await runHttp(turn, frame, node.id, node.def, node.next);
        if (typeof next !== 'string') return finish(turn, frame, 'failed');
        at = next;
        break;
      }
      case 'handoff':
        turn.text(turn.render(node.def.text ?? turn.bot.messages.handoff, frame));
        return handoff(turn, { ...(node.def.queue ? { queue: node.def.queue } : {}), ...(node.def.reason ? { reason: node.def.reason } : {}) });
      case 'flow':
        frame.wait = { node: node.id, call: true, tries: 0 };
        return startFlow(turn, node.def.flow);
      case 'end':
        if (node.def.text) turn.text(turn.render(node.def.text, frame));
        return finish(turn, frame, node.def.status ?? 'completed');
      case 'prompt': {
        const fromTrigger = node.def.fromTrigger ?? ['choice', 'email', 'phone', 'regex', 'date'].includes(node.ask.spec.kind);
        if (fromTrigger && frame.trigger) {
          const r = readEntity(node.ask.spec, frame.trigger, turn.read, node.ask.constraints);
          if (r.ok) {
            turn.assign(frame, node.def.save, r.value);
            at = node.next;
            break;
          }
        }
        return ask(turn, frame, node, { node: node.id, tries: 0 }, { record: true });
      }
      case 'confirm':
        return ask(turn, frame, node, { node: node.id, tries: 0 }, { record: true });
      case 'form':
        return ask(turn, frame, node, { node: node.id, parts: planParts(node.fields, turn.capabilities), part: 0, tries: 0 }, { record: true });
    }
  }
}

/**
 * The user answered where `frame` waits: keep the answer and go on. A wrong answer is returned for the
 * caller to decide (another intent, or a retry).
 */
export async function answer(turn: Turn, frame: Frame, input: UserInput): Promise<Answer> {
  const wait = frame.wait!;
  const node = nodeOf(turn, frame, wait.node) as Extract<CompiledNode, { type: 'prompt' | 'confirm' | 'form' }>;
  const result = read(turn, frame, node, wait, input);
  if (!result.ok) return result;
  // The trigger's words are used once, on the way in.
  delete frame.trigger;
  keep(turn, frame, node, wait, result);
  if (node.type === 'form') {
    const part = currentPart(wait)!;
    if ('form' in part) turn.event('form_submitted', { form: { id: wait.formId! } });
    const nextPart = (wait.part ?? 0) + 1;
    if (wait.parts && nextPart < wait.parts.length) {
      ask(turn, frame, node, { node: node.id, parts: wait.parts, part: nextPart, tries: 0 }, { record: true });
      return result;
    }
  }
  const next = node.type === 'confirm' ? (result.value === true ? (node.def.yes ?? node.next) : node.def.no) : node.next;
  if (next === undefined) {
    turn.text(turn.message('cancelled', frame));
    await finish(turn, frame, 'exited');
  } else await advance(turn, frame, next);
  return result;
}

/** A wrong answer: say why and ask again, or give up after the allowed retries. */
export async function retry(turn: Turn, frame: Frame, why: Extract<Answer, { ok: false }>): Promise<void> {
  // (`stale` answers never get here: they change nothing.)
  const wait = frame.wait!;
  const node = nodeOf(turn, frame, wait.node) as Extract<CompiledNode, { type: 'prompt' | 'confirm' | 'form' }>;
  const part = currentPart(wait);
  const isForm = part !== undefined && 'form' in part;
  if (isForm && why.errors) turn.event('form_failure', { form: { id: wait.formId!, errors: why.errors } });
  const tries = wait.tries + 1;
  if (tries > (node.def.retries ?? turn.bot.retries)) {
    turn.text(turn.message('tooManyRetries', frame));
    if (node.def.onFail) return advance(turn, frame, node.def.onFail);
    return finish(turn, frame, 'failed');
  }
  const reason = why.errors ? formErrors(turn, why.errors) : (why.message ?? (node.def.retryText ? turn.render(node.def.retryText, frame) : turn.message('retry', frame)));
  const again: Wait = { ...wait, tries };
  // A client that keeps its form after a failed submission needs only the errors; others get it again.
  if (isForm && turn.capabilities.forms?.keptAfterSubmit) {
    turn.text(reason);
    frame.wait = again;
    turn.event('waiting_for_user_input');
    return;
  }
  ask(turn, frame, node, again, { record: false, prefix: reason });
}

/** Ask the question of a waiting frame again (after an interruption, help, or a failed go back). */
export function reask(turn: Turn, frame: Frame, prefix?: string): void {
  const wait = frame.wait;
  const node = wait && nodeOf(turn, frame, wait.node);
  if (!wait || !node || (node.type !== 'prompt' && node.type !== 'confirm' && node.type !== 'form')) return;
  ask(turn, frame, node, wait, { record: false, ...(prefix ? { prefix } : {}) });
}

/** End the active flow; a flow below that called it goes on, one it interrupted resumes. */
export async function finish(turn: Turn, frame: Frame, status: Status): Promise<void> {
  const stack = turn.state.stack;
  const i = stack.lastIndexOf(frame);
  if (i >= 0) stack.splice(i, 1);
  const flow = turn.flow(frame.flow);
  if (flow.interactive) turn.event('flow_completed', { flow: { id: frame.flow, runId: frame.run, title: flow.title, status } });
  const below = top(turn.state);
  if (!below?.wait) return;
  if (below.wait.call) {
    const caller = nodeOf(turn, below, below.wait.node);
    delete below.wait;
    if (status === 'completed' && caller) return advance(turn, below, caller.next);
    return finish(turn, below, status);
  }
  resume(turn, below);
}

/** Back to an interrupted flow: say so, and ask its question again. */
export function resume(turn: Turn, frame: Frame): void {
  const flow = turn.flow(frame.flow);
  reask(turn, frame, turn.render(flow.resumeText ?? turn.bot.messages.resume, frame));
}

/** Hand the conversation to a human: every running flow ends; the live-agent desk takes over. */
export function handoff(turn: Turn, detail: { queue?: string; reason?: string }): void {
  for (const f of [...turn.state.stack].reverse()) {
    const flow = turn.flow(f.flow);
    if (flow.interactive) turn.event('flow_completed', { flow: { id: f.flow, runId: f.run, title: flow.title, status: 'handoff' } });
  }
  turn.state.stack = [];
  turn.event('handoff_requested', { handoff: detail });
}
