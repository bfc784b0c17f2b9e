import type { Content, FormFieldError, UserInput } from '../../core/model.js';
import type { CompiledField, CompiledNode } from '../definition/compiled.js';
import { YES_NO } from '../definition/nodes.js';
import { readEntity, type EntityValue, type Reading } from '../nlu/entities/index.js';
import { readYesNo } from '../nlu/entities/values.js';
import { normalise } from '../nlu/text.js';
import { question } from './content.js';
import { checkSubmission, formContent } from './forms.js';
import { MAX_STEPS, type Frame, type Part, type Wait } from './state.js';
import type { Turn } from './turn.js';

/** Asking the user (prompts, confirmations, forms and their fields) and reading the answers. */

type AskNode = Extract<CompiledNode, { type: 'prompt' | 'confirm' | 'form' }>;

const SKIP = new Set(['skip', 'none', 'no', 'nothing', 'pass', 'n a', 'na', 'not applicable', 'skip it', 'skip this']);

/** Which form field the wait's current part asks on its own (undefined for a whole-form part). */
export function fieldOf(node: AskNode, wait: Wait): CompiledField | undefined {
  if (node.type !== 'form') return undefined;
  const part = wait.parts?.[wait.part ?? 0];
  return part && 'field' in part ? node.fields[part.field] : undefined;
}

export function currentPart(wait: Wait): Part | undefined {
  return wait.parts?.[wait.part ?? 0];
}

/** Does the answer expected here have to be free text (then only exact commands can interrupt it)? */
export function expectsFreeText(node: AskNode, wait: Wait): boolean {
  if (node.type === 'prompt') return node.ask.spec.kind === 'text';
  if (node.type === 'form') return fieldOf(node, wait)?.spec.kind === 'text';
  return false;
}

/** The question of a waiting point as content (and, for a whole form, the form). */
function questionOf(turn: Turn, frame: Frame, node: AskNode, wait: Wait, prefix: string): Content {
  const r = (s: string) => turn.render(s, frame);
  const lead = (s: string) => (prefix ? `${prefix}\n${s}` : s);
  if (node.type === 'prompt') {
    const hint = node.def.optional ? ' (or say "skip")' : '';
    return question(lead(r(node.def.text) + hint), node.ask.options, node.def.present);
  }
  if (node.type === 'confirm') {
    const opts = [
      { value: 'yes', label: node.def.yesLabel ? r(node.def.yesLabel) : YES_NO[0]!.label },
      { value: 'no', label: node.def.noLabel ? r(node.def.noLabel) : YES_NO[1]!.label },
    ];
    return question(lead(r(node.def.text)), opts);
  }
  const part = currentPart(wait)!;
  if ('form' in part) return { type: 'form', form: formContent(node.def, node.fields, part.form, wait.formId!, r) };
  const cf = node.fields[part.field]!;
  const optional = !cf.field.required ? ' (or say "skip")' : '';
  return question(lead(r(cf.question) + optional), cf.options);
}

/** Ask at a waiting point. A forward ask records a step (for "go back"); a repeated one does not. */
export function ask(turn: Turn, frame: Frame, node: AskNode, wait: Wait, opts: { record: boolean; prefix?: string }): void {
  let w = wait;
  const part = currentPart(w);
  if (part && 'form' in part) w = { ...w, formId: turn.nextId('fm') };
  frame.node = node.id;
  frame.wait = w;
  if (opts.record) {
    frame.steps.push({ node: node.id, ...(w.part !== undefined ? { part: w.part, parts: w.parts } : {}), slots: structuredClone(frame.slots) });
    if (frame.steps.length > MAX_STEPS) frame.steps.shift();
  }
  if (part && 'form' in part && opts.prefix) turn.text(opts.prefix);
  turn.say(questionOf(turn, frame, node, w, part && 'form' in part ? '' : (opts.prefix ?? '')));
  if (part && 'form' in part) turn.event('form_delivered', { form: { id: w.formId! } });
  turn.event('waiting_for_user_input');
}

export type Answer =
  | { readonly ok: true; readonly value: EntityValue | null; readonly values?: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly reason: 'unrecognised' | 'invalid' | 'stale';
      readonly message?: string;
      readonly errors?: readonly FormFieldError[];
    };

/** Read the user's input as the answer this waiting point expects. */
export function read(turn: Turn, frame: Frame, node: AskNode, wait: Wait, input: UserInput): Answer {
  const text = input.text;
  if (node.type === 'prompt') {
    if (node.def.optional && SKIP.has(normalise(text))) return { ok: true, value: null };
    return fromReading(readEntity(node.ask.spec, text, turn.read, node.ask.constraints));
  }
  if (node.type === 'confirm') {
    const yes = readYesNo(text);
    return yes === undefined ? { ok: false, reason: 'unrecognised' } : { ok: true, value: yes };
  }
  const part = currentPart(wait)!;
  if ('field' in part) {
    const cf = node.fields[part.field]!;
    if (!cf.field.required && SKIP.has(normalise(text))) return { ok: true, value: cf.field.default ?? null };
    return fromReading(readEntity(cf.spec, text, turn.read, cf.constraints));
  }
  if (!input.form) return { ok: false, reason: 'unrecognised' };
  // A submission of an earlier form changes nothing (and is not counted as a wrong answer).
  if (input.form.formId !== undefined && input.form.formId !== wait.formId) return { ok: false, reason: 'stale', message: 'That answers an older form; please use the latest one.' };
  const checked = checkSubmission(node.fields, part.form, input.form, turn.read);
  return checked.ok ? { ok: true, value: null, values: checked.values } : { ok: false, reason: 'invalid', errors: checked.errors };
}

const fromReading = (r: Reading): Answer => (r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.reason, ...(r.message ? { message: r.message } : {}) });

/** Keep an accepted answer where the node says. */
export function keep(turn: Turn, frame: Frame, node: AskNode, wait: Wait, answer: Extract<Answer, { ok: true }>): void {
  if (node.type === 'prompt') return turn.assign(frame, node.def.save, answer.value);
  if (node.type === 'confirm') {
    if (node.def.save) turn.assign(frame, node.def.save, answer.value);
    return;
  }
  const at = (name: string) => (node.def.save ? `${node.def.save}.${name}` : name);
  const part = currentPart(wait)!;
  if ('field' in part) return turn.assign(frame, at(node.fields[part.field]!.field.name), answer.value);
  for (const [name, v] of Object.entries(answer.values ?? {})) turn.assign(frame, at(name), v);
}

/** The errors of a failed form submission, as one message. */
export function formErrors(turn: Turn, errors: readonly FormFieldError[]): string {
  return [turn.message('formIncomplete'), ...errors.map((e) => `• ${e.message}`)].join('\n');
}
