/**
 * Session events (seed "Session Events"): session_start when a session begins (on connect or on the
 * first message after an idle timeout), session_end after the idle timeout, activity keeps a session
 * alive, a reconnect inside the session keeps it. Time is a ManualClock moved by the test.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { KoreClient, type Frame, type KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DEMO_BOT_INFO, chat, expectNothing, expectStrictlyIncreasing, fullHistory, isType, uniqueIdentity } from './helpers.js';

const IDLE_SEC = 120;

// A fresh server (and clock) per test: assertions are signed with the real time, so the server's clock
// must not run far ahead of it.
let clock: ManualClock;
let server: TestServer;
beforeEach(async () => {
  clock = new ManualClock(Date.now());
  server = await startTestServer({ clock, settings: { sessionIdleTimeoutSec: IDLE_SEC } });
});
afterEach(() => server.stop());

async function open(identity = uniqueIdentity('session')): Promise<{ client: KoreClient; socket: KoreSocket; active: Frame }> {
  const client = await KoreClient.login(server.url, { identity });
  const socket = await client.connect({ isReconnect: true });
  const active = await socket.next(isType('bot_active'));
  return { client, socket, active };
}

describe('sessions', () => {
  test('a first connection starts a session: bot_active and session_start name the same session', async () => {
    const { socket, active } = await open();
    const start = await socket.next(isType('session_start'));
    expect(start).toMatchObject({ type: 'session_start', from: 'bot', botInfo: DEMO_BOT_INFO, sessionId: active['sessionId'] });
    const { reply } = await chat(socket, 'inside the session');
    expect(reply['sessionId']).toBe(active['sessionId']);
    await socket.close();
  });

  test('the idle timeout ends the session with session_end; the next message starts a new one', async () => {
    const { client, socket, active } = await open();
    const first = active['sessionId'];
    await socket.next(isType('session_start'));
    await chat(socket, 'then silence');
    clock.advance(IDLE_SEC * 1000 + 1000);
    const end = await socket.next(isType('session_end'));
    expect(end).toMatchObject({ from: 'bot', botInfo: DEMO_BOT_INFO, sessionId: first });
    const { reply } = await chat(socket, 'i am back');
    const start = await socket.next((f) => f['type'] === 'session_start' && f['sessionId'] !== first);
    expect(reply['sessionId']).toBe(start['sessionId']);
    expect(socket.frames.indexOf(start)).toBeGreaterThan(socket.frames.indexOf(end));
    expect(socket.frames.indexOf(start)).toBeLessThan(socket.frames.indexOf(reply));
    expect(socket.ofType('session_end')).toHaveLength(1);
    // Every frame that carries a log position, the ack included, arrives in log order: a client that
    // resumes from the last seq it saw must not skip the session_start its own message opened.
    expectStrictlyIncreasing(socket.frames.filter((f) => typeof f['seq'] === 'number').map((f) => f['seq']), 'seq (acks included)');
    // History keeps both sessions' messages, each tagged with its session.
    const all = await fullHistory(client);
    expect(all.map((m) => m['sessionId'])).toEqual([first, first, start['sessionId'], start['sessionId']]);
    await socket.close();
  });

  test('activity keeps the session alive; only real idleness ends it', async () => {
    const { socket, active } = await open();
    await socket.next(isType('session_start'));
    for (let i = 0; i < 3; i++) {
      clock.advance((IDLE_SEC - 30) * 1000);
      const { reply } = await chat(socket, `still here ${i}`);
      expect(reply['sessionId']).toBe(active['sessionId']);
    }
    await expectNothing(socket, isType('session_end'), 200, 'session_end while active');
    clock.advance((IDLE_SEC - 1) * 1000);
    await expectNothing(socket, isType('session_end'), 200, 'session_end before the timeout');
    clock.advance(2000);
    const end = await socket.next(isType('session_end'));
    expect(end['sessionId']).toBe(active['sessionId']);
    await socket.close();
  });

  test('session_end reaches every connection of the user, once', async () => {
    const identity = uniqueIdentity('both');
    const a = await open(identity);
    const b = await open(identity);
    await chat(a.socket, 'two windows');
    clock.advance(IDLE_SEC * 1000 + 1000);
    await a.socket.next(isType('session_end'));
    await b.socket.next(isType('session_end'));
    clock.advance(IDLE_SEC * 1000 + 1000);
    await expectNothing(a.socket, isType('session_end'), 200, 'a second session_end');
    expect(a.socket.ofType('session_end')).toHaveLength(1);
    expect(b.socket.ofType('session_end')).toHaveLength(1);
    await Promise.all([a.socket.close(), b.socket.close()]);
  });

  test('a reconnect inside the session keeps it; after the timeout a connection starts a new one', async () => {
    const identity = uniqueIdentity('reconnect');
    const a = await open(identity);
    const s1 = a.active['sessionId'];
    await chat(a.socket, 'first window');
    await a.socket.close();
    clock.advance(10_000);
    const b = await open(identity);
    expect(b.active['sessionId']).toBe(s1);
    await expectNothing(b.socket, isType('session_start'), 200, 'a second session_start');
    await b.socket.close();
    clock.advance(IDLE_SEC * 1000 + 1000);
    const c = await open(identity);
    expect(c.active['sessionId']).not.toBe(s1);
    const start = await c.socket.next(isType('session_start'));
    expect(start['sessionId']).toBe(c.active['sessionId']);
    await c.socket.close();
  });
});
