import type { Entry } from '../../core/model.js';
import { historyText } from './templates.js';

/**
 * A message entry as one element of the `botmessages/rtm` answer, in the seed's shape. The Web SDK reads
 * `_id`, `type` (incoming = the user's bubble), `components[0].cT/data.text` (a template as JSON text)
 * and `createdOn`.
 */
export function historyMessage(entry: Entry, botId: string, userId: string): Record<string, unknown> | null {
  const body = entry.body;
  let incoming: boolean;
  let text: string;
  if (body.kind === 'user_message') {
    incoming = true;
    text = body.input.display ?? body.input.text;
  } else if (body.kind === 'bot_message') {
    incoming = false;
    text = historyText(body.content);
  } else {
    return null;
  }
  const createdOn = new Date(entry.at).toISOString();
  return {
    _id: entry.id,
    channels: [{ type: 'rtm' }],
    type: incoming ? 'incoming' : 'outgoing',
    status: incoming ? 'received' : 'sent',
    createdBy: userId,
    lmodifiedBy: userId,
    lmodifiedOn: createdOn,
    botId,
    chnl: 'rtm',
    components: [{ _id: `cp-${entry.id.slice(3)}`, cT: 'text', data: { text }, thumbnails: [] }],
    ...(incoming && body.kind === 'user_message' && body.input.attachments
      ? { attachments: body.input.attachments }
      : {}),
    createdOn,
    timestampValue: entry.at,
    lang: 'en',
    ...(entry.sessionId !== undefined ? { sessionId: entry.sessionId } : {}),
    resourceid: 'messagestore',
    seq: entry.seq,
    tags: { messageTags: [], userTags: [], sessionTags: [] },
  };
}
