import type { Button, Card, Content, Form, FormField } from '../../core/model.js';

/**
 * Channel-neutral content → the message object a Kore bot developer would author (`M`), which the
 * Web SDK's template manager renders: `button`, `quick_replies`, `carousel`, `list`, `form_template`,
 * attachments. Plain text has no template.
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

/**
 * The field types the Web SDK 10.1's `form_template` renders: it draws every field as an `<input>` of the
 * field's `type` and sends all values back as text (docs/protocols/kore.md). The dialog engine asks other
 * field types one by one; should one still arrive here, it degrades to a text input that names the options.
 */
export const KORE_FORM_FIELD_TYPES = ['text', 'textarea', 'number', 'date'] as const;

function formField(f: FormField): Record<string, unknown> {
  const choices = f.options?.map((o) => o.label).join(', ');
  const hint =
    f.type === 'boolean' ? 'yes or no' : f.type === 'checkboxes' ? `any of: ${choices}` : f.type === 'dropdown' || f.type === 'radio' ? `one of: ${choices}` : f.type === 'date' ? 'YYYY-MM-DD' : '';
  const type = f.type === 'number' || f.type === 'date' ? f.type : 'text';
  return {
    key: f.name,
    label: f.label,
    type,
    ...(type === 'number' ? { inputType: 'number' } : {}),
    placeholder: f.placeholder ?? hint,
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
  };
}

function formTemplate(form: Form): KoreMessageObject {
  return {
    type: 'template',
    payload: {
      template_type: 'form_template',
      heading: form.title ?? form.description ?? 'Please fill in this form',
      formFields: form.fields.map(formField),
      // A button of a type other than `url`/`postback` submits the form (the SDK's `.btn-info`).
      buttons: [{ title: form.submitLabel ?? 'Submit', type: 'submit' }],
      formId: form.id,
    },
  };
}

/**
 * Bot text for the Web SDK's own markdown, whose bold is `*x*`: the CommonMark `**x**` the dialog engine and
 * the knowledge base write would show its outer asterisks.
 */
export const koreMarkdown = (text: string): string => (text.includes('**') ? text.replace(/\*\*(\S(?:[^*]*\S)?)\*\*/g, '*$1*') : text);

export function messageObject(content: Content): KoreMessageObject | string {
  switch (content.type) {
    case 'text':
      return koreMarkdown(content.text);
    case 'form':
      return formTemplate(content.form);
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
