import { createInterface } from 'node:readline/promises';
import WebSocket from 'ws';

/**
 * `colloquy chat --protocol aisera`: a small terminal client of the Aisera channel (raw WebSocket). It mints a
 * user token with the channel key, then talks like a doc-following client: text, options by number
 * (`followUpId`), forms asked field by field and submitted as `followUpData`, and the commands below.
 */

export interface ChatOptions {
  readonly url: string;
  readonly channelId: string;
  readonly channelKey: string;
  readonly userId: string;
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
}

/** A frame as this display client reads it (it only prints what it finds). */
type Frame = Record<string, any>;
interface Field {
  name: string;
  label: string;
  type: string;
  required?: boolean;
  options?: { value: string; label: string }[];
}

export const CHAT_HELP = `Type a message, or the number of an option. Commands:
  /reset      start a new session (isReset)      /history   this session's transcript
  /back       go back a step (FlowGoBack)         /startover start the flow over (FlowStartOver)
  /survey     end-of-session survey               /logout    end the session
  /quit       leave`;

export async function chat(o: ChatOptions): Promise<void> {
  const out = o.output ?? process.stdout;
  const say = (s: string) => void out.write(`${s}\n`);
  const tokenRes = await fetch(`${o.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.channelKey}` },
    body: JSON.stringify({ channelId: o.channelId, userId: o.userId }),
  });
  const minted = (await tokenRes.json()) as Frame;
  if (tokenRes.status !== 200) throw new Error(`could not get a user token: ${JSON.stringify(minted)}`);
  const token = minted['token'] as string;

  const ws = new WebSocket(`${o.url.replace(/^http/, 'ws')}/api/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const rl = createInterface({ input: o.input ?? process.stdin, output: out, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string | undefined> => {
    out.write(prompt);
    const next = await lines.next();
    return next.done ? undefined : String(next.value);
  };

  let reqNo = 0;
  let options: { followUpId: string; label: string }[] = [];
  let pendingForm: { formId: string; fields: Field[] } | undefined;
  let waiting: (() => void) | undefined;
  const send = (data: Record<string, unknown>) => {
    const reqId = `cli-${++reqNo}`;
    ws.send(JSON.stringify({ token, userId: o.userId, channelId: o.channelId, data: { reqId, sessionVars: {}, isKL: false, channelCapabilities: { isFormSupported: true }, ...data } }));
    return new Promise<void>((resolve) => (waiting = resolve));
  };

  ws.on('message', (raw) => {
    const f = JSON.parse(raw.toString()) as Frame;
    show(f);
    if (f['final'] === true && waiting && f['reqId'] !== null) {
      const w = waiting;
      waiting = undefined;
      w();
    }
  });
  ws.on('close', (code) => {
    say(`(connection closed: ${code})`);
    rl.close();
  });

  function show(f: Frame): void {
    if (f['modeType'] === 'Error') return say(`! ${f['errorCode']}: ${(f['errors'] as Frame[]).map((e) => `${e['path']} ${e['message']}`).join('; ')}`);
    if (f['modeType'] === 'FormError') say(`! Some fields need another look: ${(f['errors'] as Frame[]).map((e) => `${e['field']}: ${e['message']}`).join('; ')}`);
    if (f['modeType'] === 'FlowStarted') say(`[${(f['flow'] as Frame)['name'] ?? 'flow'} started — /back and /startover work here]`);
    if (f['modeType'] === 'StatusUpdate') say(`[${(f['status'] as Frame)['code']}]`);
    for (const h of (f['history'] as Frame[] | undefined) ?? []) say(`  ${h['role']}: ${h['text'] ?? (h['answers'] as Frame[]).map((a) => a['text'] ?? a['type']).join(' | ')}`);
    for (const a of f['answers'] as Frame[]) {
      if (a['type'] === 'text') say(`bot: ${a['text']}`);
      else if (a['type'] === 'options') {
        options = a['options'] as typeof options;
        if (a['text']) say(`bot: ${a['text']}`);
        options.forEach((opt, i) => say(`  ${i + 1}. ${opt.label}`));
      } else if (a['type'] === 'form') {
        const form = a['form'] as Frame;
        pendingForm = { formId: form['formId'] as string, fields: form['fields'] as Field[] };
        say(`bot: [form] ${form['title'] ?? ''}`);
      } else if (a['type'] === 'link') say(`bot: ${a['label']} <${a['url']}>`);
      else if (a['type'] === 'kb') for (const art of a['articles'] as Frame[]) say(`bot: • ${art['title']}${art['url'] ? ` <${art['url']}>` : ''}`);
    }
    if (f['session'] && (f['session'] as Frame)['state'] === 'ended') say(`[session ended: ${(f['session'] as Frame)['endReason']}]`);
  }

  /** Ask each field of the pending form in the terminal; undefined when input ended. */
  async function fillForm(form: { formId: string; fields: Field[] }): Promise<Record<string, unknown> | undefined> {
    const values: Record<string, unknown> = {};
    for (const field of form.fields) {
      const choices = field.options?.map((c) => c.value).join(', ');
      const hint = field.type === 'boolean' ? ' (yes/no)' : field.type === 'date' ? ' (YYYY-MM-DD)' : field.type === 'checkboxes' ? ` (any of: ${choices}; comma-separated)` : choices ? ` (one of: ${choices})` : '';
      const answer = await ask(`  ${field.label}${field.required ? '' : ' [optional]'}${hint}: `);
      if (answer === undefined) return undefined;
      const v = answer.trim();
      if (v === '' && !field.required) continue;
      values[field.name] =
        field.type === 'number' ? Number(v) : field.type === 'boolean' ? /^(y|yes|true|1)$/i.test(v) : field.type === 'checkboxes' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
    }
    return values;
  }

  say(`Connected to ${o.url} as ${o.userId} on channel ${o.channelId}.\n${CHAT_HELP}`);
  for (;;) {
    if (pendingForm) {
      const form = pendingForm;
      pendingForm = undefined;
      const values = await fillForm(form);
      if (values === undefined) break;
      await send({ text: '', followUpData: { formId: form.formId, formFieldValues: values } });
      continue;
    }
    const line = await ask('you: ');
    if (line === undefined || line.trim() === '/quit') break;
    const text = line.trim();
    if (text === '') continue;
    const pick = /^\d+$/.test(text) ? options[Number(text) - 1] : undefined;
    if (pick) await send({ text: pick.label, followUpId: pick.followUpId });
    else if (text === '/reset') await send({ isReset: true });
    else if (text === '/history') await send({ needsSessionHistory: true });
    else if (text === '/back') await send({ followUpId: '_go:back_', followUpContext: { type: 'FlowGoBack' } });
    else if (text === '/startover') await send({ followUpId: '_go:back_', followUpContext: { type: 'FlowStartOver' } });
    else if (text === '/survey') await send({ type: 'EndSessionSurvey' });
    else if (text === '/help') say(CHAT_HELP);
    else await send({ text });
    if (ws.readyState !== ws.OPEN) break;
  }
  ws.close();
  rl.close();
}
