/**
 * Session idle timers in a cluster: a session ends once, with one session_end that every tab sees,
 * whichever node notices — also when the node that started the session is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Frame } from '../support/kore-client.js';
import { ensureBuilt } from '../protocol/processes.js';
import { need, SERVICES } from '../support/services.js';
import { until } from './chatter.js';
import { Device } from './device.js';
import { Cluster } from './harness.js';

const available =
  need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available()) &&
  need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

const IDLE_SEC = 2;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isType = (type: string) => (f: Frame) => f['type'] === type;
const identity = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

describe.skipIf(!available)('sessions in a cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 3, env: { COLLOQUY_SESSION_IDLE_TIMEOUT: String(IDLE_SEC) } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  test('an idle session ends once: one session_end, seen by the tabs on every node', async () => {
    const who = identity('idle');
    const tabs = await Promise.all([0, 1, 2].map((i) => Device.login(() => cluster.nodes[i]!.url, who, `t${i}`)));
    const active = await Promise.all(tabs.map(async (t) => (await t.connect()).next(isType('bot_active'))));
    const sessionId = active[0]!['sessionId'] as string;
    expect(active.map((f) => f['sessionId'])).toEqual([sessionId, sessionId, sessionId]);
    tabs[1]!.say('keep it going');
    await until(() => tabs[0]!.shown.length === 2, 5000, 'the answer on tab 0');
    // Every node opened the session or saw activity: each could end it. One does.
    const ends = await Promise.all(tabs.map((t) => t.socket!.next(isType('session_end'), IDLE_SEC * 1000 + 4000)));
    await sleep(1500);
    for (const t of tabs) expect(t.socket!.ofType('session_end')).toHaveLength(1);
    expect(new Set(ends.map((e) => e['seq'])).size).toBe(1);
    expect(ends[0]!['sessionId']).toBe(sessionId);
    // The next message starts a new session, once.
    tabs[2]!.say('i am back');
    const next = await tabs[0]!.socket!.next((f) => f['type'] === 'session_start' && f['sessionId'] !== sessionId, 5000);
    await until(() => tabs[2]!.acked.size === 1, 5000, 'the ack');
    const starts = (t: Device) => t.socket!.frames.filter((f) => f['type'] === 'session_start' && f['sessionId'] === next['sessionId']);
    await until(() => tabs.every((t) => starts(t).length > 0), 5000, 'the new session on every tab');
    await sleep(300);
    for (const t of tabs) expect(starts(t)).toHaveLength(1);
    await Promise.all(tabs.map((t) => t.close()));
  }, 30_000);

  test('a session ends on time even when the only node that knew it was killed and nobody is connected', async () => {
    const who = identity('orphan');
    const talker = await Device.login(() => cluster.nodes[0]!.url, who, 'talker');
    await (await talker.connect()).next(isType('bot_active'));
    talker.say('anyone there?');
    await until(() => talker.shown.length === 1, 5000, 'the answer');
    const lastActivity = Date.now();
    await talker.close(); // a clean close: the device's cursor is saved (in Redis)
    await cluster.kill(0);
    await sleep(IDLE_SEC * 1000 + 4000);
    // The device comes back, to another node: it is replayed what happened since, the session's end included.
    const res = await fetch(`${cluster.nodes[1]!.url}/api/rtm/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${talker.client.accessToken}` },
      body: JSON.stringify({ botInfo: talker.client.botInfo, token: {} }),
    });
    const { KoreSocket } = await import('../support/kore-client.js');
    const back = await KoreSocket.open(`${((await res.json()) as { url: string }).url}&isReconnect=true`, talker.client);
    const end = await back.next(isType('session_end'), 5000);
    const start = await back.next((f) => f['type'] === 'session_start' && f['seq'] > end['seq'], 5000);
    // Ended by a surviving node's timer about IDLE_SEC after the last activity — not when the device came back.
    expect(end['timestamp'] - lastActivity).toBeLessThan(IDLE_SEC * 1000 + 2000);
    expect(start['timestamp'] - end['timestamp']).toBeGreaterThan(2000);
    expect(back.ofType('session_end')).toHaveLength(1);
    await back.close();
  }, 30_000);
});
