/**
 * Live-agent handoff on a cluster (PostgreSQL + Redis, real server processes, no sticky sessions): the user on
 * node A, the agent's console on node B. The queue, the pick-up, messages both ways and the end travel only
 * through the shared log, index and bus — and the bot stays silent while the agent owns the conversation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../protocol/processes.js';
import { AgentClient } from '../support/agent-client.js';
import type { Frame } from '../support/kore-client.js';
import { need, SERVICES } from '../support/services.js';
import { Device } from './device.js';
import { Cluster } from './harness.js';

const available =
  need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available()) &&
  need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

const PASSWORD = 'cluster-agent-password-1';

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!available)('live-agent handoff on a cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 2 });
    const made = await cluster.cli(['agent', 'add', 'dana', '--name', 'Dana', '--queues', 'desk', '--capacity', '2', '--password-stdin'], `${PASSWORD}\n`);
    if (made.code !== 0) throw new Error(`agent add failed: ${made.stdout}\n${made.stderr}`);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  test('user on node A, agent on node B: waiting, pick-up, both ways, the end; the bot silent meanwhile', async () => {
    const user = await Device.login(() => cluster.nodes[0]!.url, `handoff-${Date.now()}`, 'user');
    await user.connect(false);
    const texts = () => user.shown.map((s) => s.text);
    user.say('escalate to the desk');
    await until(() => texts().includes('bot:Connecting you to an agent.'), 'the bot to hand over');

    const dana = await (await AgentClient.login(cluster.nodes[1]!.url, 'dana', PASSWORD)).connect();
    const isOurs = (w: Frame) => w['reason'] === 'asked in a test' && w['queue'] === 'desk';
    const board = await dana.next((f) => f['type'] === 'queues' && (f['waiting'] as Frame[]).some(isOurs), 10_000);
    const waiting = (board['waiting'] as Frame[]).find(isOurs)!;
    expect(waiting).toMatchObject({ position: 1, offeredToYou: true });
    const handoffId = waiting['handoffId'] as string;

    dana.send({ type: 'accept', handoffId, ref: 'a-1' });
    const chat = await dana.next((f) => f['type'] === 'chat' && f['handoffId'] === handoffId, 10_000);
    expect((chat['transcript'] as Frame[]).map((e) => e['text'])).toContain('escalate to the desk');
    await until(() => texts().includes('bot:Dana joined the chat.'), 'the user to see Dana join');

    dana.send({ type: 'send', handoffId, text: 'Hello from node B', clientId: 'c-1' });
    await dana.next((f) => f['type'] === 'ack' && f['clientId'] === 'c-1', 10_000);
    await until(() => texts().includes('bot:Hello from node B'), "the agent's message on node A");

    user.say('my VPN is still broken');
    const heard = await dana.next((f) => f['type'] === 'entry' && f['text'] === 'my VPN is still broken', 10_000);
    expect(heard).toMatchObject({ handoffId, from: { role: 'user' }, routed: 'agent' });

    dana.send({ type: 'close', handoffId, ref: 'c-2' });
    await dana.next((f) => f['type'] === 'ended' && f['handoffId'] === handoffId && f['reason'] === 'agentCompleted', 10_000);
    await until(() => texts().some((t) => t.startsWith('bot:You are back with the virtual assistant')), 'the bot to come back');
    // The echo bot never answered while Dana owned the conversation; now it does again.
    expect(texts()).not.toContain('bot:You said: my VPN is still broken');
    user.say('ping');
    await until(() => texts().includes('bot:You said: ping'), 'the bot to answer again');
    await dana.close();
    await user.close();
  }, 90_000);
});
