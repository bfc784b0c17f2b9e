/**
 * The Aisera channel on a cluster (PostgreSQL + Redis, real server processes): a channel created with the CLI
 * works on every node at once; one user's sockets on different nodes (raw WS and Socket.IO) get the same frames,
 * reqId and final included, whichever node or transport (REST too) the request came through; a user token from
 * one node is honoured by another.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../protocol/processes.js';
import { RawClient, SioClient, request, rest, texts, uniqueUser, userToken } from '../support/aisera-client.js';
import { need, SERVICES } from '../support/services.js';
import { BOT_ID, Cluster } from './harness.js';

const available =
  need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available()) &&
  need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

describe.skipIf(!available)('the Aisera channel on a cluster', () => {
  let cluster: Cluster;
  let channel: { channelId: string; channelKey: string };
  beforeAll(async () => {
    await ensureBuilt();
    cluster = await Cluster.start({ nodes: 2 });
    const made = await cluster.cli(['channel', 'create', '--bot', BOT_ID, '--json']);
    if (made.code !== 0) throw new Error(`channel create failed: ${made.stdout}\n${made.stderr}`);
    channel = JSON.parse(made.stdout) as typeof channel;
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  test('one user on two nodes: every request\'s frames reach both sockets, the same on each', async () => {
    const userId = uniqueUser('cluster');
    const token = await userToken(cluster.nodes[0]!.url, channel.channelId, channel.channelKey, userId);
    const who = { token, userId, channelId: channel.channelId };
    const a = await RawClient.connect(cluster.nodes[0]!.url);
    const b = await SioClient.connect(cluster.nodes[1]!.url);
    expect(texts(await a.ask(request(who, { text: 'on node 0' })))).toEqual(['You said: on node 0']);
    expect(texts(await b.ask(request(who, { text: 'on node 1' })))).toEqual(['You said: on node 1']);
    const fromB = await b.ask(request(who, { text: 'seen twice', reqId: 'x-1' }));
    expect(await a.response('x-1', 10_000)).toEqual(fromB);
    const r = await rest(cluster.nodes[1]!.url, request(who, { text: 'by rest', reqId: 7 }));
    expect(r.status).toBe(200);
    expect(await a.response(7, 10_000)).toEqual(r.body['responses']);
    expect(await b.response(7, 10_000)).toEqual(r.body['responses']);
    const history = (await a.ask(request(who, { needsSessionHistory: true })))[0]!;
    expect((history['history'] as Record<string, unknown>[]).filter((h) => h['role'] === 'user').map((h) => h['text'])).toEqual(['on node 0', 'on node 1', 'seen twice', 'by rest']);
    a.close();
    b.close();
  }, 60_000);
});
