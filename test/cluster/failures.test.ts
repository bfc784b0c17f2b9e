/**
 * The cluster under failure, with steady load through a health-checking load balancer: a node killed with
 * `kill -9`, Redis pub/sub cut, every node restarted in turn. After each, every device's transcript (what the
 * page shows: frames de-duplicated by messageId, as the Kore Web SDK does) is the conversation's log — no
 * gap, nothing twice, same order — and every message that was acked is in the log exactly once.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import type { Frame } from '../support/kore-client.js';
import { ensureBuilt } from '../protocol/processes.js';
import { need, SERVICES } from '../support/services.js';
import { countSubscribers, killSubscribers } from '../support/redis.js';
import { chatter, until } from './chatter.js';
import { Device, expectedFor, logOf } from './device.js';
import { Cluster } from './harness.js';

const available =
  need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available()) &&
  need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isType = (type: string) => (f: Frame) => f['type'] === type;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
}, 60_000);

/** `users` users with `perUser` devices each, all logged in through `base`. */
async function devices(users: number, perUser: number, base: (k: number) => () => string): Promise<Device[][]> {
  const run = randomUUID().slice(0, 6);
  return Promise.all(
    Array.from({ length: users }, (_, u) =>
      Promise.all(Array.from({ length: perUser }, (_, d) => Device.login(base(u * perUser + d), `fail-${run}-${u}@example.com`, `u${u}d${d}`))),
    ),
  );
}

async function connectAll(all: readonly Device[]): Promise<void> {
  await Promise.all(all.map(async (d) => (await d.connect()).next(isType('bot_active'), 5000)));
}

/**
 * Every message any device sent was acked, is in its user's log exactly once, and every device shows exactly
 * its conversation's log (without its own messages), in order. Waits for the cluster to settle first.
 */
async function expectConsistent(users: readonly Device[][]): Promise<{ repeats: number }> {
  const all = users.flat();
  await until(() => all.every((d) => d.unacked === 0), 20_000, 'every message acked (re-sent after reconnects)');
  for (const group of users) {
    const log = await logOf(group[0]!.client);
    for (const d of group) {
      const mine = [...d.sent.values()].map((t) => `user:${t}`);
      for (const m of mine) expect(log.filter((x) => x === m), `${m} in the log`).toHaveLength(1);
    }
    // Pub/sub may have lost something: the node heals from the log within its heal interval.
    await until(
      () => group.every((d) => JSON.stringify(d.shown.map((s) => s.text)) === JSON.stringify(expectedFor(d, log))),
      8000,
      'every device showing the log',
    ).catch(() => undefined);
    for (const d of group) {
      const expected = expectedFor(d, log);
      const shown = d.shown.map((s) => s.text);
      const missing = expected.filter((m) => !shown.includes(m));
      expect(shown, `device ${d.name} (closes ${d.closes.join(',')}; missing ${JSON.stringify(missing.slice(0, 12))})`).toEqual(expected);
    }
  }
  return { repeats: all.reduce((n, d) => n + d.repeats, 0) };
}

describe.skipIf(!available)('the cluster under failure', () => {
  test('kill -9 of a node mid-conversation: its clients reconnect elsewhere and resume with no gap and no duplicate', async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 3 });
    const c = cluster;
    const users = await devices(4, 2, () => () => c.balancer.url);
    const all = users.flat();
    await connectAll(all);
    const load = chatter(all);
    await sleep(1500);
    const victim = c.nodes[1]!.url;
    const portOf = (d: Device) => (d.socket!.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
    const onVictim = all.filter((d) => c.balancer.backendOf(portOf(d)) === victim);
    expect(onVictim.length, 'the balancer spread the devices').toBeGreaterThan(0);
    await c.kill(1);
    await until(() => onVictim.every((d) => d.closes.includes(1006) && d.open), 10_000, 'the victim\'s devices back on other nodes');
    await sleep(1500);
    await load.stop();
    const { repeats } = await expectConsistent(users);
    console.info(`kill -9: ${load.sent()} messages sent, ${onVictim.length} devices moved, ${repeats} replayed frames dropped by messageId`);
    await Promise.all(all.map((d) => d.close()));
  }, 90_000);

  test('Redis pub/sub cut while messages flow: every device heals from the log', async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 2 });
    const c = cluster;
    // Each user's two devices on different nodes: everything between them crosses pub/sub.
    const users = await devices(3, 2, (k) => () => c.nodes[k % 2]!.url);
    const all = users.flat();
    await connectAll(all);
    const load = chatter(all, 10);
    // Each cut waits for both nodes' subscribers to be back (a slow machine reconnects later), so that
    // every round cuts both: ten cuts in all.
    const bothBack = () => until(async () => (await countSubscribers(c.prefix)) === 2, 10_000, 'both subscribers back');
    let cuts = 0;
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      await bothBack();
      cuts += await killSubscribers(c.prefix);
    }
    await sleep(500);
    await load.stop();
    // And the last word of each conversation, said while the other node's subscriber reconnects: no later
    // message reveals its loss; the subscriber learns of it when it is back (onSync), or the heal finds it.
    await bothBack();
    cuts += await killSubscribers(c.prefix);
    for (const group of users) group[0]!.say('the last word');
    expect(cuts).toBeGreaterThanOrEqual(10);
    await expectConsistent(users);
    await Promise.all(all.map((d) => d.close()));
  }, 60_000);

  test('a rolling restart of every node under steady load loses no acked message', async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 3 });
    const c = cluster;
    const users = await devices(3, 2, () => () => c.balancer.url);
    const all = users.flat();
    await connectAll(all);
    const load = chatter(all);
    const ackedBefore: string[][] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(700);
      ackedBefore.push(all.flatMap((d) => d.ackedTexts()));
      const { code } = await c.restart(i);
      expect(code, `node ${i} exit code after SIGTERM`).toBe(0);
    }
    await sleep(700);
    await load.stop();
    expect(all.some((d) => d.closes.includes(1001)), 'clients were told to reconnect (1001)').toBe(true);
    const { repeats } = await expectConsistent(users);
    console.info(`rolling restart: ${load.sent()} messages sent, ${all.reduce((n, d) => n + d.closes.filter((x) => x === 1001).length, 0)} reconnects after 1001, ${repeats} replayed frames`);
    // A graceful close tells exactly where a device stopped: it resumes there, nothing is sent twice.
    expect(repeats).toBe(0);
    // Nothing acked at any point went missing.
    for (const group of users) {
      const log = new Set(await logOf(group[0]!.client));
      const acked = ackedBefore.flat().filter((t) => group.some((d) => [...d.sent.values()].includes(t)));
      for (const t of acked) expect(log.has(`user:${t}`), `acked before a restart: ${t}`).toBe(true);
    }
    await Promise.all(all.map((d) => d.close()));
  }, 120_000);
});
