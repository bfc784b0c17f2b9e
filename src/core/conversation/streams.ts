import { CoreError } from '../errors.js';
import type { Hub } from '../fanout/hub.js';
import { newMessageId, newSessionId } from '../ids.js';
import type { ConversationRef, ConversationState, EventDetail, EventName, NewEntry, OpenStream, StateSnapshot, StreamFinish } from '../model.js';
import type { BotOutput, BotStream, StreamProgress, StreamResult } from '../ports/bot.js';
import { stateWith } from '../shapes.js';
import type { Clock, Timer } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Sequencer } from '../ports/sequencer.js';
import type { ConversationStore } from '../ports/store.js';

export interface StreamsDeps {
  readonly store: ConversationStore;
  readonly sequencer: Sequencer;
  readonly hub: Hub;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Deltas are coalesced into chunks of at least this many characters … */
export const CHUNK_MIN_CHARS = 64;
/** … or at least this far apart (the first chunk goes out at once). */
export const CHUNK_MIN_INTERVAL_MS = 50;
/** How much of the log a closing turn reads back for the text streamed so far. */
const READ_BACK = 2000;
const MAX_ATTEMPTS = 3;

/** The state row without its stream marker. */
export function withoutStream(state: ConversationState): ConversationState {
  return stateWith(state, { stream: undefined });
}

/** The entries of one stream, all alike: from the bot, in its session, answering its request. */
function streamEntry(conv: ConversationRef, marker: OpenStream, at: number, name: EventName, detail: EventDetail): NewEntry {
  return {
    id: newMessageId(),
    at,
    from: { role: 'bot', id: conv.botId },
    sessionId: marker.sessionId,
    body: { kind: 'event', name, detail },
    ...(marker.request !== undefined ? { request: { id: marker.request } } : {}),
  };
}

function outputEntry(conv: ConversationRef, marker: OpenStream, at: number, o: BotOutput): NewEntry {
  return {
    id: newMessageId(),
    at,
    from: { role: 'bot', id: conv.botId },
    sessionId: marker.sessionId,
    body: o.kind === 'message' ? { kind: 'bot_message', content: o.content } : { kind: 'event', name: o.name, ...(o.detail !== undefined ? { detail: o.detail } : {}) },
    ...(marker.request !== undefined ? { request: { id: marker.request } } : {}),
  };
}

/** The completion of a stream and its authoritative content, the last entry marked last. */
function completion(conv: ConversationRef, marker: OpenStream, at: number, chunkCount: number, finishReason: StreamFinish, outputs: readonly BotOutput[]): NewEntry[] {
  const entries = [
    streamEntry(conv, marker, at, 'stream_completed', { stream: { id: marker.id, chunkCount, finishReason } }),
    ...outputs.map((o) => outputEntry(conv, marker, at, o)),
  ];
  const lastOne = entries[entries.length - 1]!;
  if (marker.request !== undefined) entries[entries.length - 1] = { ...lastOne, request: { id: marker.request, last: true } };
  return entries;
}

/**
 * Streamed answers (docs/architecture.md, *Streams*). A turn that streams opens the stream in its own commit
 * (a `stream_status` entry, and the {@link OpenStream} marker in the state row); the generator then runs
 * outside the conversation's lock and writes each coalesced chunk with a short locked append that first checks
 * the marker is still there. The next turn of the conversation — on any node — closes an open stream: it
 * writes the `aborted` completion (with the text streamed so far) before its own entries and removes the
 * marker in the same commit; the generator sees that on its next append and stops, and this node also aborts
 * it at once when it runs here.
 */
export class Streams {
  private readonly running = new Map<string, { readonly id: string; readonly controller: AbortController; readonly done: Promise<void> }>();

  constructor(private readonly deps: StreamsDeps) {}

  /** A new stream: the entry that opens it and its marker for the state row (the caller commits both). */
  opening(conv: ConversationRef, sessionId: string, request: string | number | undefined, afterSeq: number): { entry: NewEntry; marker: OpenStream } {
    const now = this.deps.clock.now();
    const marker: OpenStream = { id: `st-${newSessionId()}`, afterSeq, sessionId, ...(request !== undefined ? { request } : {}), startedAt: now };
    return { entry: streamEntry(conv, marker, now, 'stream_status', { stream: { id: marker.id, status: 'retrieving' } }), marker };
  }

  /**
   * Close the open stream of a state row, if any: the entries to append *before* the closing turn's own (the
   * aborted completion, with the text streamed so far) and the state without the marker.
   */
  async closing(conv: ConversationRef, snap: StateSnapshot): Promise<{ id: string; entries: NewEntry[]; value: ConversationState } | undefined> {
    const marker = snap.value.stream;
    if (!marker) return undefined;
    const logged = await this.deps.store.readSince(conv.id, marker.afterSeq, READ_BACK);
    let text = '';
    let chunks = 0;
    for (const e of logged) {
      const s = e.body.kind === 'event' && e.body.name === 'stream_chunk' ? e.body.detail?.stream : undefined;
      if (s?.id === marker.id) {
        text += s.delta ?? '';
        chunks += 1;
      }
    }
    const outputs: BotOutput[] = text ? [{ kind: 'message', content: { type: 'text', text } }] : [];
    return { id: marker.id, entries: completion(conv, marker, this.deps.clock.now(), chunks, 'aborted', outputs), value: withoutStream(snap.value) };
  }

  /** A closing commit removed a stream's marker: stop its generator now if it runs on this node. */
  abort(conversationId: string, streamId: string): void {
    const run = this.running.get(conversationId);
    if (run?.id === streamId) run.controller.abort();
  }

  /** Run an opened stream (its marker is committed) outside the lock. */
  start(conv: ConversationRef, marker: OpenStream, stream: BotStream): void {
    this.running.get(conv.id)?.controller.abort();
    const controller = new AbortController();
    const done = this.run(conv, marker, stream, controller).catch((err: unknown) => {
      this.deps.log.error({ err, conversation: conv.id, stream: marker.id }, 'stream.failed');
    });
    const entry = { id: marker.id, controller, done };
    this.running.set(conv.id, entry);
    void done.finally(() => {
      if (this.running.get(conv.id) === entry) this.running.delete(conv.id);
    });
  }

  /** Stop every stream of this node (shutdown): their markers stay, and the next turn of each closes it. */
  stopAll(): void {
    for (const r of this.running.values()) r.controller.abort();
  }

  /** Resolves once no stream runs on this node (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Streams running on this node. */
  get size(): number {
    return this.running.size;
  }

  private async run(conv: ConversationRef, marker: OpenStream, stream: BotStream, controller: AbortController): Promise<void> {
    const { clock } = this.deps;
    const signal = controller.signal;
    let writes: Promise<void> = Promise.resolve();
    let open = true;
    const write = (entries: NewEntry[], finish = false): Promise<void> => {
      writes = writes.then(async () => {
        if (!open) return;
        if (!(await this.append(conv, marker.id, entries, finish))) {
          open = false;
          controller.abort();
        }
      });
      return writes;
    };

    let buffer = '';
    let index = 0;
    let writing = false;
    let lastFlush = 0;
    let timer: Timer | undefined;
    // One chunk append at a time; deltas arriving meanwhile join the next chunk.
    const flush = (): void => {
      timer?.cancel();
      timer = undefined;
      if (!buffer || writing || !open) return;
      const delta = buffer;
      buffer = '';
      writing = true;
      lastFlush = clock.now();
      void write([streamEntry(conv, marker, lastFlush, 'stream_chunk', { stream: { id: marker.id, index: index++, delta } })]).then(() => {
        writing = false;
        schedule();
      });
    };
    const schedule = (): void => {
      if (!buffer || writing || !open) return;
      const wait = CHUNK_MIN_INTERVAL_MS - (clock.now() - lastFlush);
      if (buffer.length >= CHUNK_MIN_CHARS || wait <= 0) flush();
      else timer ??= clock.setTimer(wait, flush);
    };
    const progress: StreamProgress = {
      status: (status) => void write([streamEntry(conv, marker, clock.now(), 'stream_status', { stream: { id: marker.id, status } })]),
      delta: (text) => {
        if (!open || !text) return;
        buffer += text;
        if (index === 0) flush();
        else schedule();
      },
      failed: (service: NonNullable<EventDetail['service']>) =>
        void write([streamEntry(conv, marker, clock.now(), 'service_failed', { service, stream: { id: marker.id } })]),
    };

    let result: StreamResult;
    try {
      result = await stream.run(progress, signal);
    } catch (err) {
      if (signal.aborted) result = { finishReason: 'stop', outputs: [] };
      else {
        this.deps.log.error({ err, conversation: conv.id, stream: marker.id }, 'stream.run_failed');
        result = { finishReason: 'error', outputs: [{ kind: 'message', content: { type: 'text', text: 'Sorry, something went wrong on my side. Please try again.' } }] };
      }
    }
    timer?.cancel();
    // The rest of the text, then the completion: in order, after every chunk already under way.
    while (writing) await writes;
    flush();
    await writes;
    while (writing) await writes;
    if (signal.aborted || !open) return;
    await write(completion(conv, marker, clock.now(), index, result.finishReason, result.outputs), true);
  }

  /** One locked append of a stream's entries, while its marker is still in the state row; false once it is not. */
  private append(conv: ConversationRef, streamId: string, entries: readonly NewEntry[], finish: boolean): Promise<boolean> {
    const { store, hub } = this.deps;
    return this.deps.sequencer.run(conv.id, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await store.getState(conv.id);
        if (snap.value.stream?.id !== streamId) return false;
        const state = finish ? { state: { expectedVersion: snap.version, value: withoutStream(snap.value) } } : {};
        const result = await store.append(conv, entries, { ...state, fence: lease.fence });
        if (result.ok) {
          hub.publish(conv.id, result.entries);
          return true;
        }
        if (result.reason === 'fenced') throw new CoreError('FENCED');
        if (result.reason !== 'conflict') throw new CoreError('INTERNAL', 'unexpected duplicate');
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }
}
