/**
 * Streams in the core (docs/architecture.md, *Streams*), on the memory ports with a scripted bot whose stream
 * the test drives by hand: chunks are log entries written outside the lock, coalesced; the completion removes
 * the marker; an explicit cancel, a new message and the end of the session close an open stream (aborted,
 * text so far) before anything else; a generator whose marker is gone stops.
 */
import { describe, expect, test } from 'vitest';
import type { BotStream, StreamProgress, StreamResult } from '../../src/core/ports/bot.js';
import { conversationScript, deferred, say } from './support/conversation.js';

/** A stream the test drives: `progress` once it runs, `finish` to end it; records the abort. */
function handStream() {
  const started = deferred<StreamProgress>();
  const done = deferred<StreamResult>();
  let signal: AbortSignal | undefined;
  const stream: BotStream = {
    run(progress, s) {
      signal = s;
      started.resolve(progress);
      s.addEventListener('abort', () => done.resolve({ finishReason: 'stop', outputs: [] }));
      return done.promise;
    },
  };
  return { stream, started: started.promise, finish: (r: StreamResult) => done.resolve(r), aborted: () => signal?.aborted === true };
}

const streamingBot = (stream: BotStream) => (i: { trigger: { type: string }; dialog: unknown; inline?: true }) =>
  i.trigger.type === 'message' ? (i.inline ? { outputs: [], dialog: i.dialog, defer: true as const } : { outputs: [], dialog: i.dialog, stream }) : { outputs: [say('hi')], dialog: i.dialog };

const describeStream = (e: { body: { kind: string; name?: string; detail?: { stream?: { index?: number; delta?: string; finishReason?: string; status?: string } } } }) => {
  const s = e.body.detail?.stream;
  if (e.body.name === 'stream_chunk') return `chunk ${s?.index}:${s?.delta}`;
  if (e.body.name === 'stream_completed') return `completed(${s?.finishReason})`;
  if (e.body.name === 'stream_status') return `status(${s?.status})`;
  return undefined;
};

describe('streams', () => {
  test('chunks are entries, coalesced; the completion carries the content and removes the marker', async () => {
    const h = handStream();
    const c = conversationScript(streamingBot(h.stream) as never);
    await c.send('question');
    expect((await c.state()).value.stream).toBeDefined();
    const progress = await h.started;
    progress.delta('first ');
    await c.settle();
    progress.delta('a');
    progress.delta('b');
    c.clock.advance(60);
    progress.delta('c');
    await c.settle();
    await c.settle();
    h.finish({ finishReason: 'stop', outputs: [say('first abc')] });
    await c.service.streams.idle();
    const log = (await c.log()).map((e) => describeStream(e as never) ?? (e.body.kind === 'bot_message' ? 'answer' : e.body.kind === 'user_message' ? 'user' : e.body.name));
    expect(log).toEqual(['session_start', 'user', 'status(retrieving)', 'chunk 0:first ', 'chunk 1:abc', 'completed(stop)', 'answer']);
    expect((await c.state()).value.stream).toBeUndefined();
    const entries = await c.log();
    expect(entries.at(-1)!.request).toBeUndefined();
  });

  test('an explicit cancel closes the stream (aborted, with the text so far) and stops the generator', async () => {
    const h = handStream();
    const c = conversationScript(streamingBot(h.stream) as never);
    await c.send('question');
    const progress = await h.started;
    progress.delta('partial');
    await c.settle();
    expect(await c.service.cancelStream(c.on())).toBe(true);
    expect(h.aborted()).toBe(true);
    await c.service.streams.idle();
    const entries = await c.log();
    const completed = entries.find((e) => e.body.kind === 'event' && e.body.name === 'stream_completed')!;
    expect(completed.body).toMatchObject({ detail: { stream: { finishReason: 'aborted', chunkCount: 1 } } });
    expect(entries.at(-1)!.body).toEqual({ kind: 'bot_message', content: { type: 'text', text: 'partial' } });
    expect((await c.state()).value.stream).toBeUndefined();
    expect(await c.service.cancelStream(c.on())).toBe(false);
  });

  test('a new message closes the open stream before its own entries; the generator\'s later deltas write nothing', async () => {
    const h = handStream();
    let calls = 0;
    const c = conversationScript(((i: never) => (++calls <= 1 ? streamingBot(h.stream)(i) : { outputs: [say('second answer')], dialog: (i as { dialog: unknown }).dialog })) as never);
    await c.send('question');
    const progress = await h.started;
    progress.delta('so far');
    await c.settle();
    await c.send('something else');
    progress.delta(' more');
    await c.service.streams.idle();
    const log = (await c.log()).map((e) => describeStream(e as never) ?? (e.body.kind === 'bot_message' ? `bot:${(e.body.content as { text: string }).text}` : e.body.kind === 'user_message' ? `user:${e.body.input.text}` : e.body.name));
    expect(log).toEqual(['session_start', 'user:question', 'status(retrieving)', 'chunk 0:so far', 'completed(aborted)', 'bot:so far', 'user:something else', 'bot:second answer']);
  });

  test('the end of the session closes an open stream too', async () => {
    const h = handStream();
    const c = conversationScript(streamingBot(h.stream) as never);
    await c.send('question');
    await h.started;
    expect(await c.service.closeSession(c.on())).toBe(true);
    await c.service.streams.idle();
    expect((await c.script()).slice(-2)).toEqual(['stream_completed', 'session_end(closed)']);
  });
});
