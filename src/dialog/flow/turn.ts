import type { ChannelCapabilities, ClientContext, Content, ConversationRef, EventDetail, EventName } from '../../core/model.js';
import type { BotOutput } from '../../core/ports/bot.js';
import type { Logger } from '../../core/ports/logger.js';
import type { CompiledBot, CompiledFlow } from '../definition/compiled.js';
import type { MessageKey } from '../definition/bot-schema.js';
import type { ReadContext } from '../nlu/entities/index.js';
import { isoDay } from '../nlu/entities/values.js';
import { getPath, scopeOf, setPath, top, type DialogState, type Frame, type Vars } from './state.js';
import { render, renderValue } from './template.js';

/** What the engine gives a turn from outside: the clock, calls out, secrets, the host's constants. */
export interface TurnServices {
  readonly now: () => number;
  readonly log: Logger;
  readonly http: ServiceCaller;
  /** Values of the secrets the bot declared (`{{secrets.NAME}}`, HTTP nodes only). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Host values for templates as `{{system.<name>}}` (e.g. `serverUrl`). */
  readonly constants: Readonly<Record<string, string>>;
}

export interface ServiceRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface ServiceResponse {
  readonly status: number;
  /** Parsed JSON when the answer is JSON, else the text (bounded). */
  readonly body: unknown;
}

/** Calls out from HTTP nodes. Rejects on network errors and timeouts. */
export interface ServiceCaller {
  call(req: ServiceRequest): Promise<ServiceResponse>;
}

/** An inline turn reached a node that calls out: the turn is run again after the message is stored. */
export class Deferred extends Error {
  constructor() {
    super('deferred');
  }
}

/** One turn of one conversation: the state being changed, what the bot says, and how to read variables. */
export class Turn {
  readonly outputs: BotOutput[] = [];
  readonly today: string;
  readonly read: ReadContext;
  /** Node steps run this turn (a guard against loops). */
  steps = 0;

  constructor(
    readonly bot: CompiledBot,
    readonly state: DialogState,
    readonly services: TurnServices,
    readonly conversation: ConversationRef,
    readonly client: ClientContext,
    readonly input: { readonly text: string; readonly display?: string },
    readonly inline: boolean,
  ) {
    const now = services.now();
    this.today = isoDay(now, bot.timeZone);
    this.read = { now, timeZone: bot.timeZone, country: bot.country };
  }

  get capabilities(): ChannelCapabilities {
    return this.client.capabilities ?? {};
  }

  say(content: Content): void {
    this.outputs.push({ kind: 'message', content });
  }

  text(text: string): void {
    if (text.trim()) this.say({ type: 'text', text });
  }

  event(name: EventName, detail?: EventDetail): void {
    this.outputs.push(detail ? { kind: 'event', name, detail } : { kind: 'event', name });
  }

  /** A built-in text (bot.yaml `messages:` may override it), rendered. */
  message(key: MessageKey, frame?: Frame): string {
    return this.render(this.bot.messages[key], frame);
  }

  flow(id: string): CompiledFlow {
    const f = this.bot.flows.get(id);
    if (!f) throw new Error(`unknown flow ${id}`);
    return f;
  }

  nextId(prefix: string): string {
    this.state.seq += 1;
    return `${prefix}-${this.state.session.slice(0, 8)}-${this.state.seq.toString(36)}`;
  }

  /** Variables as templates and conditions see them; `secrets` only where `withSecrets`. */
  lookup(frame: Frame | undefined, withSecrets = false): (path: readonly string[]) => unknown {
    return (path) => {
      const [head, ...rest] = path;
      switch (head) {
        case 'system':
          return getPath(this.system(), rest);
        case 'input':
          return getPath(this.input, rest);
        case 'flow':
          return frame ? getPath({ id: frame.flow, runId: frame.run, title: this.bot.flows.get(frame.flow)?.title }, rest) : undefined;
        case 'secrets':
          return withSecrets && rest.length === 1 ? this.services.secrets[rest[0]!] : undefined;
      }
      const { scope, rest: key } = scopeOf(path);
      if (scope === 'session') return getPath(this.state.sessionVars, key);
      if (scope === 'user') return getPath(this.state.userVars, key);
      // A bare name: the flow's slot, else a session variable, else a user variable.
      const slot = getPath(frame?.slots, key);
      if (slot !== undefined || path[0] === 'slots') return slot;
      return getPath(this.state.sessionVars, key) ?? getPath(this.state.userVars, key);
    };
  }

  render(s: string, frame: Frame | undefined = top(this.state)): string {
    return render(s, this.lookup(frame));
  }

  renderValue(v: unknown, frame: Frame | undefined, withSecrets = false): unknown {
    return renderValue(v, this.lookup(frame, withSecrets));
  }

  /** One result of `fn` per element of the list at `path`, rendered with `{{item.…}}` set to that element. */
  each<T>(frame: Frame | undefined, path: string, fn: (r: (s: string) => string) => T): T[] {
    const list = this.lookup(frame)(path.split('.'));
    if (!Array.isArray(list)) return [];
    const outer = this.lookup(frame);
    return list.slice(0, 50).map((item) => fn((s) => render(s, (p) => (p[0] === 'item' ? getPath(item, p.slice(1)) : outer(p)))));
  }

  /** Store a value at a variable path (`x`, `slots.x`, `session.x`, `user.x`). */
  assign(frame: Frame | undefined, path: string, value: unknown): void {
    const { scope, rest } = scopeOf(path.split('.'));
    const root: Vars = scope === 'session' ? this.state.sessionVars : scope === 'user' ? this.state.userVars : (frame?.slots ?? {});
    setPath(root, rest, value);
  }

  private system(): Vars {
    return {
      userId: this.conversation.userId,
      botId: this.conversation.botId,
      conversationId: this.conversation.id,
      sessionId: this.state.session,
      channel: this.client.channel ?? '',
      today: this.today,
      now: new Date(this.read.now).toISOString(),
      ...this.services.constants,
    };
  }
}
