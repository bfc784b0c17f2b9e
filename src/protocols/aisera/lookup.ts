import type { Entry } from '../../core/model.js';
import { choicesOf, followUpIdFor, type OptionChoice } from './answers.js';

/**
 * What a request refers to, read from the newest entries of the conversation's log (pure): a followUpId
 * issued in the current session, the state of a form, the current session's transcript. The log is the
 * only memory: any node, any connection and REST resolve the same ids the same way.
 */

/** The current session's entries among `entries` (oldest first). */
export const sessionEntries = (entries: readonly Entry[], sessionId: string): Entry[] => entries.filter((e) => e.sessionId === sessionId);

/** The option a followUpId names, if this session issued it. */
export function findChoice(entries: readonly Entry[], sessionId: string, followUpId: string): OptionChoice | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.sessionId !== sessionId || e.body.kind !== 'bot_message') continue;
    const choices = choicesOf(e.body.content);
    for (let n = 0; n < choices.length; n++) if (followUpIdFor(e.id, n) === followUpId) return choices[n];
  }
  return undefined;
}

export type FormState = 'pending' | 'submitted' | 'unknown';

/** Was the form sent in this session, and has it been answered since? */
export function formState(entries: readonly Entry[], sessionId: string, formId: string): FormState {
  let state: FormState = 'unknown';
  for (const e of entries) {
    if (e.sessionId !== sessionId) continue;
    const b = e.body;
    if (b.kind === 'bot_message' && b.content.type === 'form' && b.content.form.id === formId) state = 'pending';
    else if (b.kind === 'event' && b.name === 'form_submitted' && b.detail?.form?.id === formId && state === 'pending') state = 'submitted';
  }
  return state;
}

/** Did the request `reqId` complete the flow `flowId` in this session (its newest turn)? */
export function surveyCompleted(entries: readonly Entry[], sessionId: string, reqId: string | number, flowId: string): boolean {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.sessionId !== sessionId || e.request?.id !== reqId) return false;
    if (e.body.kind === 'event' && e.body.name === 'flow_completed' && e.body.detail?.flow?.id === flowId && e.body.detail.flow.status === 'completed') return true;
    if (e.body.kind === 'user_message') return false;
  }
  return false;
}

/** The session had at least one user turn (the end-of-session survey is offered only then). */
export const hadUserTurn = (entries: readonly Entry[], sessionId: string): boolean =>
  entries.some((e) => e.sessionId === sessionId && e.body.kind === 'user_message');
