import type { Button, Card, Content, QuickReply } from '../../core/model.js';
import type { ChoiceOption } from '../nlu/entities/index.js';
import type { MessageNodeDef } from '../definition/schema.js';

/** Message nodes and questions as channel-neutral content (protocol encoders turn it into templates). */

type R = (s: string) => string;
type ButtonDef = { title: string; payload: string } | { title: string; url: string };
type CardDef = NonNullable<MessageNodeDef['carousel']>[number];

const button = (b: ButtonDef, r: R): Button =>
  'url' in b ? { kind: 'link', title: r(b.title), url: r(b.url) } : { kind: 'postback', title: r(b.title), payload: r(b.payload) };

const card = (c: CardDef, r: R): Card => ({
  title: r(c.title),
  ...(c.subtitle !== undefined ? { subtitle: r(c.subtitle) } : {}),
  ...(c.image !== undefined ? { imageUrl: r(c.image) } : {}),
  ...(c.url !== undefined ? { url: r(c.url) } : {}),
  ...(c.buttons ? { buttons: c.buttons.map((b) => button(b, r)) } : {}),
});

const MAX_LIST_ITEMS = 10;

/**
 * The content a message node says, in order: the text (with its buttons, replies or links), then media.
 * `each(path, fn)` renders a card per element of a list variable (`list.from`), with `{{item.…}}` set.
 */
export function messageContents(n: MessageNodeDef, r: R, each: (path: string, fn: (r: R) => Card) => Card[] = () => []): Content[] {
  const out: Content[] = [];
  const text = n.text !== undefined ? r(n.text) : '';
  if (n.buttons) out.push({ type: 'buttons', text, buttons: n.buttons.map((b) => button(b, r)) });
  else if (n.quickReplies) {
    const replies: QuickReply[] = n.quickReplies.map((q) =>
      typeof q === 'string' ? { title: r(q), payload: r(q) } : { title: r(q.title), payload: r(q.payload ?? q.title), ...(q.image ? { imageUrl: r(q.image) } : {}) },
    );
    out.push({ type: 'quickReplies', text, replies });
  } else if (n.links) out.push({ type: 'buttons', text, buttons: n.links.map((l) => ({ kind: 'link', title: r(l.title), url: r(l.url) })) });
  else if (text) out.push({ type: 'text', text });
  if (n.carousel) out.push({ type: 'carousel', cards: n.carousel.map((c) => card(c, r)) });
  if (n.list) {
    const template = n.list.item;
    const items = [...(n.list.items ?? []).map((c) => card(c, r)), ...(n.list.from && template ? each(n.list.from, (ri) => card(template, ri)) : [])];
    if (items.length > 0) {
      out.push({
        type: 'list',
        ...(n.list.title !== undefined ? { title: r(n.list.title) } : {}),
        items: items.slice(0, MAX_LIST_ITEMS),
        ...(n.list.buttons ? { buttons: n.list.buttons.map((b) => button(b, r)) } : {}),
      });
    }
  }
  if (n.image) out.push({ type: 'media', media: 'image', url: r(n.image) });
  return out;
}

/**
 * The contents of a message node that uses no variables, built once and frozen: every turn that says it
 * says the same objects, which lets the log and the protocol encoders serialise them once
 * (`core/fixed-json.ts`). `null` for a node with templates or a list drawn from a variable.
 */
const fixed = new WeakMap<MessageNodeDef, readonly Content[] | null>();
export function fixedContents(n: MessageNodeDef): readonly Content[] | null {
  let contents = fixed.get(n);
  if (contents === undefined) {
    contents = n.list?.from === undefined && !JSON.stringify(n).includes('{{') ? deepFreeze(messageContents(n, (s) => s)) : null;
    fixed.set(n, contents);
  }
  return contents;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** A question with its answer options, if it has some: quick replies (default) or buttons. */
export function question(text: string, options: readonly ChoiceOption[] | undefined, present: 'quickReplies' | 'buttons' | 'none' = 'quickReplies'): Content {
  if (!options || options.length === 0 || present === 'none' || options.length > 13) return { type: 'text', text };
  if (present === 'buttons' && options.length <= 10) {
    return { type: 'buttons', text, buttons: options.map((o) => ({ kind: 'postback', title: o.label, payload: o.value })) };
  }
  return { type: 'quickReplies', text, replies: options.map((o) => ({ title: o.label, payload: o.value })) };
}
