import type { CoreError } from '../../core/errors.js';
import type { Entry, SessionEndReason } from '../../core/model.js';
import { answersOf, type Answer } from './answers.js';
import type { FieldProblem } from './decode.js';
import { userMessageAck, userSideEvent, type HandoffSeen, type HandoffSummary, type LiveAgentInfo, type TranscriptItem } from './liveagent.js';
import type { ReqId } from './schema.js';

/**
 * Log entries → Aisera response frames (docs/protocols/aisera.md §3). Pure: an {@link FrameAssembler}
 * per (connection, conversation) groups the entries of one request into frames — answers together, a new
 * frame where a `modeType` begins — and marks the frame holding the request's last entry `final`.
 */

export type ModeType =
  | 'Error'
  | 'FormError'
  | 'ExternalSystemError'
  | 'FlowStarted'
  | 'FlowCompleted'
  | 'StatusUpdate'
  | 'LiveAgent'
  | 'LiveAgentWaiting'
  | 'LiveAgentJoined'
  | 'LiveAgentExited'
  | 'LiveAgentWaitingUpdate'
  | 'LiveAgentTyping'
  | 'StreamingInProgress'
  | 'StreamingCompleted'
  // Reserved for the issues that add them (the codec passes them through unchanged).
  | 'Campaign'
  | 'AskForApproval'
  | 'SilentModeAnswerFound'
  | 'SilentModeAnswered'
  | 'SilentModeAnsweredConfidentially'
  | 'SilentModeFirstResponse'
  | 'SilentModeResolved'
  | 'SilentModeEscalated'
  | 'SilentModeTicketCreated'
  | 'SilentModeCancelled'
  | 'SilentModeFollowUp'
  | 'SilentModeConversationEnded';

export const PROTOCOL_VERSION = 'aisera-compat/1';

/** Who the frames are for: the user as the client names them. */
export interface FrameView {
  readonly userId: string;
  readonly channelId: string;
  /** The flow that is the end-of-session survey: forms sent while it runs have `form.kind: "survey"`. */
  readonly surveyFlow?: string;
  /**
   * The client takes streamed answers (`StatusUpdate` → `StreamingInProgress` → `StreamingCompleted`): a socket
   * unless it declared `isStreamingSupported: false`; never REST. Otherwise an answer is one ordinary frame.
   */
  readonly streaming?: boolean;
}

const STATUS_TEXT_OF = { retrieving: ['Retrieving', 'Searching knowledge…'], generating: ['Generating', 'Writing an answer…'] } as const;

export interface Frame {
  reqId: ReqId | null;
  sessionId: string | null;
  previousSessionId?: string;
  userId: string | null;
  channelId: string | null;
  seq: number;
  timestamp: string;
  from: 'bot' | 'agent' | 'system' | 'user';
  modeType?: ModeType;
  answers: Answer[];
  final: boolean;
  pending?: boolean;
  session?: { state: 'active' | 'ended'; endReason?: string };
  flow?: { id: string; name?: string; runId: string; status?: string; exitCommand?: string };
  status?: { code: string; text?: string };
  code?: number;
  error?: string;
  errorCode?: string;
  errors?: { path: string; message: string; field?: string }[];
  formId?: string;
  retryable?: boolean;
  /** `ExternalSystemError`: the downstream system that failed (`fulfillment`: a bot's HTTP step, named `flow.node`). */
  system?: { kind: 'ticketing' | 'liveAgent' | 'fulfillment' | 'knowledge' | 'llm'; name: string };
  warnings?: string[];
  history?: HistoryItem[];
  historyComplete?: boolean;
  /** The live-agent family (docs/protocols/aisera.md §4.5): the handoff the frame is about. */
  liveAgent?: LiveAgentInfo;
  /** An agent's pick-up reply: the conversation so far, and what the agent reads first. */
  transcript?: TranscriptItem[];
  initMsg?: string;
  /** Agent side: the end user of the handoff (Colloquy's id of them). */
  user?: { id: string };
  /** Agent side: the open handoffs an agent's desk request lists. */
  handoffs?: HandoffSummary[];
  /** A streamed answer (StreamingInProgress, StreamingCompleted). */
  stream?: { id: string; index?: number; delta?: string; chunkCount?: number; finishReason?: 'stop' | 'length' | 'aborted' | 'error' };
  // Room for the issues that add them (docs/protocols/aisera.md §7); nothing sets these yet.
  /** A frame delivered after the request's synchronous `final` one (an async flow's result). */
  async?: boolean;
  campaign?: { id: string; runId?: string; name?: string; type: 'Message' | 'Survey'; privacy: 'Anonymous' | 'Public' };
  approval?: { id: string; title: string; expiresAt?: string; details?: { label: string; value: string }[] };
  silent?: { threadId: string; visibility?: 'public' | 'private'; recipientUserId?: string };
}

export interface HistoryItem {
  readonly at: string;
  readonly role: 'user' | 'bot' | 'agent' | 'system';
  readonly seq: number;
  readonly reqId?: ReqId;
  readonly text?: string;
  readonly modeType?: ModeType;
  readonly answers?: Answer[];
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
export const statusText = (code: number): string => STATUS_TEXT[code] ?? 'Error';

const ERROR_TEXT = "Sorry, I couldn't process that request.";
const LOGOUT_TEXT = 'You have been logged out. Goodbye!';
/** How a session end reads on the wire (`session.endReason`). */
const END_REASON: Record<SessionEndReason, string> = {
  idle: 'idleTimeout',
  closed: 'closed',
  reset: 'reset',
  logout: 'logout',
  clientTimeout: 'clientTimeout',
  surveyCompleted: 'surveyCompleted',
};

/** An `Error` frame for a refused request; never fanned out, and it never changes a session. */
export function errorFrame(
  err: CoreError,
  echo: { reqId: ReqId | null; userId: string | null; channelId: string | null; sessionId?: string | null },
  errors: readonly FieldProblem[],
  now: number,
): Frame {
  const code = err.spec.http;
  return {
    reqId: echo.reqId,
    sessionId: echo.sessionId ?? null,
    userId: echo.userId,
    channelId: echo.channelId,
    seq: 0,
    timestamp: new Date(now).toISOString(),
    from: 'system',
    modeType: 'Error',
    answers: [{ id: 'error', type: 'text', text: ERROR_TEXT, format: 'markdown' }],
    final: true,
    code,
    error: statusText(code),
    errorCode: err.code,
    errors: errors.length > 0 ? errors.map((e) => ({ path: e.path, message: e.message })) : [{ path: '$', message: err.message }],
    retryable: err.spec.retryable,
  };
}

/** A frame sent to the requester only (history, an already-ended session, an agent acknowledgement). */
export function directFrame(view: FrameView, reqId: ReqId, now: number, fields: Partial<Frame>): Frame {
  return {
    reqId,
    sessionId: null,
    userId: view.userId,
    channelId: view.channelId,
    seq: 0,
    timestamp: new Date(now).toISOString(),
    from: 'system',
    answers: [],
    final: true,
    ...fields,
  };
}

/** The items of a session's history: user messages and the bot's answers, oldest first. */
export function historyItems(entries: readonly Entry[], view: FrameView): HistoryItem[] {
  const items: HistoryItem[] = [];
  for (const e of entries) {
    const at = new Date(e.at).toISOString();
    if (e.body.kind === 'user_message') {
      items.push({ at, role: 'user', seq: e.seq, ...(e.request ? { reqId: e.request.id } : {}), text: e.body.input.display ?? e.body.input.text });
    } else if (e.body.kind === 'bot_message') {
      items.push({ at, role: e.from.role === 'agent' ? 'agent' : 'bot', seq: e.seq, answers: answersOf(e.id, e.body.content) });
    }
  }
  return items;
}

/**
 * Groups a conversation's entries into frames for one client. Feed it entries in `seq` order (`push`), then
 * `flush` at the end of each delivered batch.
 */
export class FrameAssembler {
  private current: Frame | undefined;
  private previousSessionId: string | undefined;
  /** The end-of-session survey flow is running (as far as the entries seen tell). */
  private inSurvey = false;
  private readonly out: Frame[] = [];

  /** `handoff`: the conversation's handoff when the client started following (later ones come as events). */
  constructor(
    private view: FrameView,
    private handoff?: HandoffSeen,
  ) {}

  /** The client declared other capabilities (streaming) since. */
  setView(view: FrameView): void {
    this.view = view;
  }

  push(entry: Entry): void {
    const reqId = entry.request?.id ?? null;
    const body = entry.body;
    let closes = false;
    if (body.kind === 'user_message') {
      this.flushCurrent();
      // A message to humans is acked on its own: LiveAgent delivered (an agent owns it) or LiveAgentWaiting queued.
      const ack = body.routed !== undefined && entry.request?.last ? userMessageAck(body.routed, this.handoff) : undefined;
      if (ack) Object.assign(this.frame(entry, reqId, ack.modeType), { from: 'system', liveAgent: ack.liveAgent });
    } else if (body.kind === 'bot_message' && entry.from.role === 'agent') {
      // An agent's message: a LiveAgent frame of its own.
      this.flushCurrent();
      const f = this.frame(entry, reqId, 'LiveAgent');
      f.answers.push(...answersOf(entry.id, body.content));
      const agent = this.handoff?.agent;
      f.liveAgent = { handoffId: this.handoff?.id ?? '', state: 'connected', agent: { id: entry.from.id, ...(agent?.id === entry.from.id ? { name: agent.name } : {}), avatarUrl: null } };
    } else if (body.kind === 'bot_message') {
      this.frame(entry, reqId, undefined).answers.push(...answersOf(entry.id, body.content, this.inSurvey));
    } else {
      const detail = body.detail;
      switch (body.name) {
        case 'flow_started':
          if (detail?.flow) this.inSurvey = detail.flow.id === this.view.surveyFlow;
          if (detail?.flow) this.frame(entry, reqId, 'FlowStarted').flow = { id: detail.flow.id, ...(detail.flow.title !== undefined ? { name: detail.flow.title } : {}), runId: detail.flow.runId, exitCommand: 'Cancel' };
          break;
        case 'flow_completed':
          if (detail?.flow?.id === this.view.surveyFlow) this.inSurvey = false;
          if (detail?.flow) this.frame(entry, reqId, 'FlowCompleted').flow = { id: detail.flow.id, runId: detail.flow.runId, status: detail.flow.status ?? 'completed' };
          break;
        case 'form_failure': {
          const f = this.frame(entry, reqId, 'FormError');
          const form = detail?.form;
          Object.assign(f, {
            code: 422,
            error: statusText(422),
            errorCode: 'FORM_VALIDATION_FAILED',
            ...(form ? { formId: form.id } : {}),
            errors: (form?.errors ?? []).map((e) => ({ path: `data.followUpData.formFieldValues.${e.field}`, field: e.field, message: e.message })),
          });
          break;
        }
        case 'service_failed': {
          // The bot's apology (its next message) joins this frame as its text answer.
          const service = detail?.service;
          const code = service?.failure === 'timeout' ? 504 : 502;
          Object.assign(this.frame(entry, reqId, 'ExternalSystemError'), {
            code,
            error: statusText(code),
            errorCode: service?.failure === 'timeout' ? 'EXTERNAL_TIMEOUT' : 'EXTERNAL_FAILURE',
            system: { kind: service?.system ?? 'fulfillment', name: service?.name ?? 'unknown' },
            retryable: true,
          });
          break;
        }
        case 'stream_status': {
          const stream = detail?.stream;
          if (!this.view.streaming || !stream?.status) break;
          const [code, text] = STATUS_TEXT_OF[stream.status];
          this.fresh(entry, reqId, 'StatusUpdate').status = { code, text };
          break;
        }
        case 'stream_chunk': {
          const stream = detail?.stream;
          if (!this.view.streaming || !stream) break;
          this.fresh(entry, reqId, 'StreamingInProgress').stream = { id: stream.id, index: stream.index ?? 0, delta: stream.delta ?? '' };
          break;
        }
        case 'stream_completed': {
          // The answer's content (the entries that follow) joins this frame: `answers[0].text` is authoritative.
          const stream = detail?.stream;
          if (!stream) break;
          if (!this.view.streaming) this.flushCurrent();
          else this.fresh(entry, reqId, 'StreamingCompleted').stream = { id: stream.id, chunkCount: stream.chunkCount ?? 0, finishReason: stream.finishReason ?? 'stop' };
          break;
        }
        case 'handoff_requested':
          // The bot's ask: the `handoff_queued` right after it makes this request's frame a LiveAgentWaiting.
          break;
        case 'handoff_queued':
        case 'handoff_waiting':
        case 'agent_session_start':
        case 'agent_typing':
        case 'agent_session_end': {
          const ev = userSideEvent(body.name, detail?.handoff, this.handoff);
          if (!ev) break;
          this.handoff = ev.seen;
          // The first wait joins the frame of the bot's "connecting you" text (same request); the rest are frames of their own.
          if (body.name !== 'handoff_queued') this.flushCurrent();
          this.frame(entry, reqId, ev.modeType).liveAgent = ev.liveAgent;
          closes = ev.closes;
          break;
        }
        case 'session_end': {
          const reason = body.reason ?? 'closed';
          if (reason === 'reset') {
            this.previousSessionId = entry.sessionId;
            break;
          }
          const ended = { state: 'ended' as const, endReason: END_REASON[reason] };
          if (reason === 'logout') {
            const f = this.frame(entry, reqId, undefined);
            f.answers.push({ id: `${entry.id}.0`, type: 'text', text: LOGOUT_TEXT, format: 'markdown' });
            f.session = ended;
          } else {
            const f = this.frame(entry, reqId, 'StatusUpdate');
            f.status = { code: reason === 'idle' ? 'SessionTimeout' : 'SessionEnded' };
            f.session = ended;
          }
          break;
        }
        default:
          // waiting_for_user_input, form_delivered, form_submitted, session_start …: implicit on this wire.
          break;
      }
    }
    if (entry.request?.last) this.frame(entry, reqId, undefined).final = true;
    if (this.current?.final || closes) this.flushCurrent();
  }

  /** Frames completed so far (the open one included), serialised; the assembler keeps nothing. */
  flush(): string[] {
    this.flushCurrent();
    return this.out.splice(0).map((f) => JSON.stringify(f));
  }

  /** The frame this entry belongs to: the open one (same request, room for the mode) or a new one. */
  private frame(entry: Entry, reqId: ReqId | null, modeType: ModeType | undefined): Frame {
    let f = this.current;
    const fits = f !== undefined && f.reqId === reqId && !f.final && (modeType === undefined || f.modeType === undefined);
    if (!fits) {
      this.flushCurrent();
      f = {
        reqId,
        sessionId: entry.sessionId ?? null,
        ...(this.previousSessionId !== undefined ? { previousSessionId: this.previousSessionId } : {}),
        userId: this.view.userId,
        channelId: this.view.channelId,
        seq: entry.seq,
        timestamp: new Date(entry.at).toISOString(),
        from: entry.from.role === 'system' ? 'system' : entry.from.role === 'agent' ? 'agent' : 'bot',
        answers: [],
        final: reqId === null,
        session: { state: 'active' },
      };
      this.previousSessionId = undefined;
      this.current = f;
    }
    if (modeType !== undefined) f!.modeType = modeType;
    f!.seq = entry.seq;
    if (entry.sessionId !== undefined) f!.sessionId = entry.sessionId;
    if (f!.from === 'system' && entry.from.role === 'bot') f!.from = 'bot';
    return f!;
  }

  /** A frame of its own: every frame of a stream stands alone. */
  private fresh(entry: Entry, reqId: ReqId | null, modeType: ModeType): Frame {
    this.flushCurrent();
    return this.frame(entry, reqId, modeType);
  }

  private flushCurrent(): void {
    if (this.current) this.out.push(this.current);
    this.current = undefined;
  }
}
