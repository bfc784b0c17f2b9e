import { uuidV5 } from '../../core/ids.js';
import type { Card, Content, Form } from '../../core/model.js';

/**
 * Channel-neutral content → Aisera answer items (docs/protocols/aisera.md §3.2). Options get server-issued
 * `followUpId`s derived from the entry and the option's place in it, so any node (and any later request)
 * can resolve a click from the log alone, without keeping a table of issued ids.
 */

export type Answer =
  | { readonly id: string; readonly type: 'text'; readonly text: string; readonly format: 'markdown' }
  | { readonly id: string; readonly type: 'options'; readonly text?: string; readonly multiSelect: false; readonly options: readonly { readonly followUpId: string; readonly label: string }[] }
  | { readonly id: string; readonly type: 'form'; readonly form: AnswerForm }
  | { readonly id: string; readonly type: 'link'; readonly label: string; readonly url: string; readonly open: 'newTab' }
  | { readonly id: string; readonly type: 'kb'; readonly text?: string; readonly articles: readonly { id: string; title: string; snippet?: string; url?: string }[] };

export interface AnswerForm {
  readonly formId: string;
  readonly kind: 'input' | 'survey';
  readonly title?: string;
  readonly description?: string;
  readonly submitLabel: string;
  readonly fields: Form['fields'];
}

/** What a click on an option sends the bot: the payload, and the label the user saw. */
export interface OptionChoice {
  readonly label: string;
  readonly payload: string;
}

export const followUpIdFor = (entryId: string, index: number): string => `R:${uuidV5(`followup:${entryId}:${index}`)}`;

const cardChoices = (cards: readonly Card[]): OptionChoice[] =>
  cards.flatMap((c) => (c.buttons ?? []).flatMap((b) => (b.kind === 'postback' ? [{ label: `${c.title}: ${b.title}`, payload: b.payload }] : [])));

/** The clickable choices of a piece of content, in the order their followUpIds are numbered. */
export function choicesOf(content: Content): OptionChoice[] {
  switch (content.type) {
    case 'buttons':
      return content.buttons.flatMap((b) => (b.kind === 'postback' ? [{ label: b.title, payload: b.payload }] : []));
    case 'quickReplies':
      return content.replies.map((r) => ({ label: r.title, payload: r.payload }));
    case 'carousel':
      return cardChoices(content.cards);
    case 'list':
      return [...cardChoices(content.items), ...(content.buttons ?? []).flatMap((b) => (b.kind === 'postback' ? [{ label: b.title, payload: b.payload }] : []))];
    default:
      return [];
  }
}

/** The answers of one bot message entry. `survey`: it belongs to the end-of-session survey (its form is a survey). */
export function answersOf(entryId: string, content: Content, survey = false): Answer[] {
  let n = 0;
  const id = () => `${entryId}.${n++}`;
  const options = (text: string | undefined): Answer[] => {
    const choices = choicesOf(content);
    if (choices.length === 0) return [];
    return [{ id: id(), type: 'options', ...(text !== undefined ? { text } : {}), multiSelect: false, options: choices.map((c, i) => ({ followUpId: followUpIdFor(entryId, i), label: c.label })) }];
  };
  const links = (buttons: readonly { kind: string; title: string; url?: string }[]): Answer[] =>
    buttons.flatMap((b) => (b.kind === 'link' && b.url !== undefined ? [{ id: id(), type: 'link' as const, label: b.title, url: b.url, open: 'newTab' as const }] : []));
  const articles = (cards: readonly Card[]) =>
    cards.map((c, i) => ({ id: `${entryId}.card${i}`, title: c.title, ...(c.subtitle !== undefined ? { snippet: c.subtitle } : {}), ...(c.url !== undefined ? { url: c.url } : {}) }));
  switch (content.type) {
    case 'text':
      return [{ id: id(), type: 'text', text: content.text, format: 'markdown' }];
    case 'buttons': {
      const opts = options(content.text);
      const head: Answer[] = opts.length === 0 ? [{ id: id(), type: 'text', text: content.text, format: 'markdown' }] : opts;
      return [...head, ...links(content.buttons)];
    }
    case 'quickReplies':
      return options(content.text);
    case 'carousel':
      return [{ id: id(), type: 'kb', articles: articles(content.cards) }, ...options(undefined)];
    case 'list':
      return [{ id: id(), type: 'kb', ...(content.title !== undefined ? { text: content.title } : {}), articles: articles(content.items) }, ...options(undefined), ...links(content.buttons ?? [])];
    case 'media':
      return [{ id: id(), type: 'link', label: content.title ?? content.url, url: content.url, open: 'newTab' }];
    case 'form': {
      const f = content.form;
      return [
        {
          id: id(),
          type: 'form',
          form: {
            formId: f.id,
            kind: survey ? 'survey' : 'input',
            ...(f.title !== undefined ? { title: f.title } : {}),
            ...(f.description !== undefined ? { description: f.description } : {}),
            submitLabel: f.submitLabel ?? 'Submit',
            fields: f.fields,
          },
        },
      ];
    }
  }
}
