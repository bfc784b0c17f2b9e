import type { InboundCommand } from '../../core/commands.js';
import { CoreError } from '../../core/errors.js';
import type { Attachment, FormSubmission, SessionValue, UserInput } from '../../core/model.js';

/** A decoded client frame: the command, and the client's own id to echo as `replyto` (its JSON type kept). */
export interface DecodedFrame {
  readonly command: InboundCommand;
  readonly replyTo: string | number | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const idOf = (v: unknown): string | number | null =>
  (typeof v === 'string' && v.length > 0 && v.length <= 128) || (typeof v === 'number' && Number.isFinite(v)) ? v : null;

const malformed = (detail: string) => new CoreError('MALFORMED_FRAME', detail);

function attachmentsOf(v: unknown): Attachment[] | CoreError {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 10) return malformed('"message.attachments" must be an array of at most 10 items.');
  const out: Attachment[] = [];
  for (const a of v) {
    if (!isObject(a) || typeof a['fileId'] !== 'string') return malformed('each attachment needs a "fileId".');
    out.push({
      fileId: a['fileId'],
      ...(typeof a['fileName'] === 'string' ? { fileName: a['fileName'] } : {}),
      ...(typeof a['fileType'] === 'string' ? { fileType: a['fileType'] } : {}),
    });
  }
  return out;
}

/**
 * The Web SDK's `form_template` submits a form as a message whose body is `JSON.stringify({key: value})`
 * with every value a string, and no `renderMsg` (reference §B.6). Such a body is read as a submission
 * (the engine uses it only while a form waits for one); anything else stays text.
 */
function formSubmission(body: string, render: unknown): FormSubmission | undefined {
  if (render !== undefined || !body.startsWith('{') || !body.endsWith('}')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.length > 50 || !entries.every(([, v]) => typeof v === 'string')) return undefined;
  return { values: parsed as Record<string, string>, typed: false };
}

/** `botInfo.customData`: what the page tells about the user's session (scalars only, bounded). */
function sessionVarsOf(botInfo: unknown): Record<string, SessionValue> | undefined {
  const data = isObject(botInfo) ? botInfo['customData'] : undefined;
  if (!isObject(data)) return undefined;
  const out: Record<string, SessionValue> = {};
  for (const [k, v] of Object.entries(data).slice(0, 50)) {
    if (k.length > 64) continue;
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else if (typeof v === 'string' && v.length <= 1000) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Classify a Kore RTM client frame, in the order the real Web SDK requires (reference §B.3):
 * keep-alive first (its `resourceid` is `/bot.message` too), then delivery acks, session close,
 * client events, and only then user messages.
 */
export function decodeFrame(text: string): DecodedFrame | CoreError {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return malformed('The frame is not valid JSON.');
  }
  if (!isObject(frame)) return malformed('The frame must be a JSON object.');
  const cmid = idOf(frame['clientMessageId']);
  const replyTo = cmid ?? idOf(frame['id']);
  const clientMessageId = replyTo === null ? undefined : String(replyTo);
  const type = frame['type'];
  const resource = frame['resourceid'];

  if (type === 'ping') return { command: { type: 'ping', ...(clientMessageId ? { id: clientMessageId } : {}) }, replyTo: idOf(frame['id']) };
  if (type === 'ack') {
    const key = frame['key'];
    return { command: { type: 'deliveryAck', ...(typeof key === 'string' ? { messageId: key } : {}) }, replyTo };
  }
  if (resource === '/bot.closeConversationSession') {
    return { command: { type: 'closeSession', ...(clientMessageId ? { clientMessageId } : {}) }, replyTo };
  }
  if (typeof frame['event'] === 'string') {
    return { command: { type: 'clientEvent', event: frame['event'], ...(clientMessageId ? { clientMessageId } : {}) }, replyTo };
  }
  if (frame['message'] !== undefined && (resource === undefined || resource === '/bot.message')) {
    const message = frame['message'];
    if (!isObject(message)) return malformed('"message" must be an object.');
    const body = message['body'];
    if (typeof body !== 'string') return malformed('"message.body" must be a string.');
    const attachments = attachmentsOf(message['attachments']);
    if (attachments instanceof CoreError) return attachments;
    const textIn = body.trim();
    if (textIn.length === 0 && attachments.length === 0) return malformed('"message.body" is empty and there are no attachments.');
    const render = message['renderMsg'];
    const form = formSubmission(textIn, render);
    const display = form
      ? Object.entries(form.values)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(' · ')
      : render;
    const shown = typeof display === 'string' && display.length > 0 && display !== textIn ? display : undefined;
    // (Plain text, the common case, without the optional fields' spreads.)
    const input: UserInput =
      shown === undefined && attachments.length === 0 && !form
        ? { text: textIn }
        : { text: textIn, ...(shown !== undefined ? { display: shown } : {}), ...(attachments.length > 0 ? { attachments } : {}), ...(form ? { form } : {}) };
    const sessionVars = sessionVarsOf(frame['botInfo']);
    if (clientMessageId && !sessionVars) return { command: { type: 'message', input, clientMessageId }, replyTo };
    return { command: { type: 'message', input, ...(clientMessageId ? { clientMessageId } : {}), ...(sessionVars ? { sessionVars } : {}) }, replyTo };
  }
  if (resource === '/bot.clientEvent') {
    const name = isObject(frame['preDefinedEvent']) ? frame['preDefinedEvent']['type'] : undefined;
    return { command: { type: 'clientEvent', event: typeof name === 'string' ? name : 'clientEvent', ...(clientMessageId ? { clientMessageId } : {}) }, replyTo };
  }
  return malformed('Unknown frame: expected a ping, an ack, a client event or a "/bot.message" with "message.body".');
}
