import type { Button, Card, Content } from '../../core/model.js';

/**
 * Channel-neutral content → the message object a Kore bot developer would author (`M`), which the
 * Web SDK's template manager renders: `button`, `quick_replies`, `carousel`, `list`, attachments.
 * Plain text has no template.
 */
export type KoreMessageObject = { readonly type: string; readonly payload: Readonly<Record<string, unknown>> };

const button = (b: Button) =>
  b.kind === 'postback' ? { type: 'postback', title: b.title, payload: b.payload } : { type: 'web_url', title: b.title, url: b.url };

const element = (c: Card) => ({
  title: c.title,
  ...(c.subtitle !== undefined ? { subtitle: c.subtitle } : {}),
  ...(c.imageUrl !== undefined ? { image_url: c.imageUrl } : {}),
  ...(c.url !== undefined ? { default_action: { type: 'web_url', url: c.url } } : {}),
  ...(c.buttons ? { buttons: c.buttons.map(button) } : {}),
});

export function messageObject(content: Content): KoreMessageObject | string {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'buttons':
      return { type: 'template', payload: { template_type: 'button', text: content.text, buttons: content.buttons.map(button) } };
    case 'quickReplies':
      return {
        type: 'template',
        payload: {
          template_type: 'quick_replies',
          text: content.text,
          quick_replies: content.replies.map((r) => ({
            content_type: 'text',
            title: r.title,
            payload: r.payload,
            ...(r.imageUrl !== undefined ? { image_url: r.imageUrl } : {}),
          })),
        },
      };
    case 'carousel':
      return { type: 'template', payload: { template_type: 'carousel', elements: content.cards.map(element) } };
    case 'list':
      return {
        type: 'template',
        payload: {
          template_type: 'list',
          ...(content.title !== undefined ? { text: content.title } : {}),
          elements: content.items.map(element),
          ...(content.buttons ? { buttons: content.buttons.map(button) } : {}),
        },
      };
    case 'media':
      return { type: content.media, payload: { url: content.url, ...(content.title !== undefined ? { title: content.title } : {}) } };
  }
}

/** The text a history bubble or a log line shows for a piece of content. */
export function historyText(content: Content): string {
  const m = messageObject(content);
  return typeof m === 'string' ? m : JSON.stringify(m);
}
