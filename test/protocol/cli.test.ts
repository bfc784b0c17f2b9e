/**
 * The CLI (`node dist/server/cli.js …`) against the data directory of a RUNNING server: `bots --json`,
 * `app create` (accepted by the running server without a restart, algorithm allow-list honoured),
 * `jwt`, `user block|unblock` and `bot suspend|resume` (1008, then rtm/start refused with
 * "error":"account_inactive", which stops the Web SDK's reconnect loop).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { KoreClient, type KoreSocket as Socket } from '../support/kore-client.js';
import { newDataDir, startTestServer, type TestServer } from '../support/server.js';
import {
  DEMO_BOT_ID,
  DEMO_BOT_NAME,
  DEMO_CLIENT_ID,
  chat,
  closeWithin,
  demoAssertion,
  eventually,
  expectKoreError,
  frames,
  fullHistory,
  incomingTexts,
  isType,
  jwtgrant,
  sleep,
  uniqueIdentity,
} from './helpers.js';
import { cli, cliJson, ensureBuilt, type RunResult } from './processes.js';

// Each CLI command is a Node process start (about 1 s, more on a busy machine).
vi.setConfig({ testTimeout: 60_000 });
beforeAll(() => ensureBuilt(), 180_000);

/** A server on its own data directory, for the CLI to change under it. */
function runningServer(): { get: () => TestServer; dir: () => string } {
  let server: TestServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = newDataDir();
    server = await startTestServer({ dataDir });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { get: () => server, dir: () => dataDir };
}

async function online(server: TestServer, identity: string): Promise<{ client: KoreClient; socket: Socket }> {
  const client = await KoreClient.login(server.url, { identity });
  const socket = await client.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  return { client, socket };
}

/** Keep sending messages until the socket closes; the acked bodies and the close code. */
async function talkUntilClosed(socket: Socket, tag: string, ms = 5000): Promise<{ code: number; acked: string[] }> {
  const acked: string[] = [];
  const deadline = Date.now() + ms;
  for (let i = 0; socket.ws.readyState === socket.ws.OPEN && Date.now() < deadline; i++) {
    const f = frames.text(`${tag} ${i}`);
    socket.send(f);
    const answer = await socket.next((x) => (x['type'] === 'ack' && x['replyto'] === f['clientMessageId']) || x['type'] === 'error', 2000).catch(() => null);
    if (answer?.['type'] === 'ack') acked.push(`${tag} ${i}`);
    await sleep(150);
  }
  return { code: (await closeWithin(socket, 2000)).code, acked };
}

const rawRtmStart = async (server: TestServer, client: KoreClient) => {
  const res = await fetch(`${server.url}/api/rtm/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `bearer ${client.accessToken}` },
    body: JSON.stringify({ botInfo: client.botInfo, token: {} }),
  });
  return { status: res.status, text: await res.text() };
};

describe('apps and assertions', () => {
  const s = runningServer();
  // Node start-up dominates each command, so independent commands run side by side.
  let bots: any;
  let hs256: any;
  let hs512: any;
  let unknownBot: RunResult;
  let apps: any;
  const demoIdentity = uniqueIdentity('minted-demo');
  const newIdentity = uniqueIdentity('minted-new');
  let demoJwt: any;
  let newJwt: any;
  beforeAll(async () => {
    [bots, hs256, hs512, unknownBot, demoJwt] = await Promise.all([
      cliJson(['bots'], s.dir()),
      cliJson(['app', 'create', '--bot', DEMO_BOT_ID], s.dir()),
      cliJson(['app', 'create', '--bot', DEMO_BOT_ID, '--alg', 'HS512', '--name', 'Strict'], s.dir()),
      cli(['app', 'create', '--bot', 'st-does-not-exist', '--json'], s.dir()),
      cliJson(['jwt', '--client-id', DEMO_CLIENT_ID, '--user', demoIdentity], s.dir()),
    ]);
    [apps, newJwt] = await Promise.all([
      cliJson(['app', 'list'], s.dir()),
      cliJson(['jwt', '--client-id', hs256.clientId, '--user', newIdentity], s.dir()),
    ]);
  }, 90_000);

  test('colloquy bots --json lists the demo bot', () => {
    expect(bots).toEqual(expect.arrayContaining([expect.objectContaining({ id: DEMO_BOT_ID, name: DEMO_BOT_NAME, suspended: false })]));
  });

  test('colloquy app create --bot <id> --json: the running server accepts the new app at once', async () => {
    expect(hs256).toMatchObject({ clientId: expect.stringMatching(/^cs-/), clientSecret: expect.any(String), botId: DEMO_BOT_ID });
    const client = await KoreClient.login(s.get().url, { identity: uniqueIdentity('newapp'), clientId: hs256.clientId, clientSecret: hs256.clientSecret });
    const socket = await client.connect({ isReconnect: true });
    await socket.next(isType('bot_active'));
    await chat(socket, 'through the new app');
    await socket.close();
    // Listed afterwards, never with its secret.
    expect((apps as { clientId: string }[]).map((a) => a.clientId)).toEqual(expect.arrayContaining([hs256.clientId, hs512.clientId]));
    expect(JSON.stringify(apps)).not.toContain(hs256.clientSecret);
  });

  test('an app created with --alg HS512 accepts HS512 only', async () => {
    const ok = await jwtgrant(s.get().url, demoAssertion(uniqueIdentity(), { iss: hs512.clientId }, 'HS512', hs512.clientSecret));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectKoreError(await jwtgrant(s.get().url, demoAssertion(uniqueIdentity(), { iss: hs512.clientId }, 'HS256', hs512.clientSecret)), 401);
  });

  test('app create for an unknown bot fails with a message and a non-zero exit code', () => {
    expect(unknownBot.code).not.toBe(0);
    expect(unknownBot.stderr + unknownBot.stdout).toMatch(/st-does-not-exist/);
  });

  test('colloquy jwt mints an assertion the running server grants (for a new app and for the demo app)', async () => {
    for (const [clientId, identity, minted] of [
      [hs256.clientId, newIdentity, newJwt],
      [DEMO_CLIENT_ID, demoIdentity, demoJwt],
    ] as const) {
      const jwt = String(minted.jwt);
      const [, payload] = jwt.split('.');
      expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({ iss: clientId, sub: identity });
      const res = await jwtgrant(s.get().url, jwt);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.userInfo.identity).toBe(`${clientId}/${identity}`);
    }
  });
});

// Blocking and suspending run side by side, each against its own server and data directory.
describe.concurrent('user block / bot suspend', () => {
  const blocking = runningServer();
  const suspending = runningServer();

  test('colloquy user block / unblock: a blocked user is closed with 1008 and refused by rtm/start with account_inactive; unblock lets them back', async ({ expect }) => {
    const s = blocking;
    const identity = uniqueIdentity('blocked');
    const { client, socket } = await online(s.get(), identity);
    const bystander = await online(s.get(), uniqueIdentity('bystander'));
    await chat(socket, 'before the block');
    const out = await cliJson(['user', 'block', '--bot', DEMO_BOT_ID, '--user', identity], s.dir());
    expect(out).toMatchObject({ botId: DEMO_BOT_ID, userId: client.userId, blocked: true });

    const { code, acked } = await talkUntilClosed(socket, 'during block');
    expect(code).toBe(1008);
    expect(socket.frames.find((f) => f['type'] === 'error')?.['error']?.code).toBe('USER_BLOCKED');
    const refused = await rawRtmStart(s.get(), client);
    expect(refused.status).not.toBe(200);
    expect(refused.text).toContain('"error":"account_inactive"');
    expectKoreError(await jwtgrant(s.get().url, demoAssertion(identity)));
    // Acked messages are kept; other users carry on.
    expect(incomingTexts(await fullHistory(client))).toEqual(['before the block', ...acked]);
    await chat(bystander.socket, 'not blocked');

    await cliJson(['user', 'unblock', '--bot', DEMO_BOT_ID, '--user', identity], s.dir());
    await eventually(async () => (await client.rtmStart()).status === 200, 5000, 200, 'rtm/start after unblock');
    const back = await client.connect({ isReconnect: true });
    await chat(back, 'after the unblock');
    await Promise.all([back.close(), bystander.socket.close()]);
  });

  test('colloquy bot suspend / resume: a suspended bot\'s users are disconnected with 1008 and refused with account_inactive; resume restores it', async ({ expect }) => {
    const s = suspending;
    const idle = await online(s.get(), uniqueIdentity('idle'));
    const talker = await online(s.get(), uniqueIdentity('talker'));
    await chat(talker.socket, 'before suspension');
    const out = await cliJson(['bot', 'suspend', DEMO_BOT_ID], s.dir());
    expect(out).toMatchObject({ botId: DEMO_BOT_ID, suspended: true });

    // A user who keeps talking is closed with 1008 (BOT_SUSPENDED) within the documented 2 s.
    const [talked, idleClose] = await Promise.all([
      talkUntilClosed(talker.socket, 'during suspension', 4000),
      // "bot suspend … (its users are disconnected)": a user who says nothing is disconnected too.
      closeWithin(idle.socket, 4000).catch((e: Error) => e),
    ]);
    expect(talked.code).toBe(1008);
    expect(talker.socket.frames.find((f) => f['type'] === 'error')?.['error']?.code).toBe('BOT_SUSPENDED');
    expect.soft(idleClose instanceof Error ? idleClose.message : idleClose.code, 'an idle user of a suspended bot stays connected').toBe(1008);

    for (const who of [idle, talker]) {
      const refused = await rawRtmStart(s.get(), who.client);
      expect(refused.status).not.toBe(200);
      expect(refused.text).toContain('"error":"account_inactive"');
    }
    expectKoreError(await jwtgrant(s.get().url, demoAssertion(uniqueIdentity('newcomer'))));
    expect(incomingTexts(await fullHistory(talker.client))).toEqual(['before suspension', ...talked.acked]);

    await cliJson(['bot', 'resume', DEMO_BOT_ID], s.dir());
    await eventually(async () => (await talker.client.rtmStart()).status === 200, 5000, 200, 'rtm/start after resume');
    const back = await talker.client.connect({ isReconnect: true });
    await chat(back, 'after resume');
    await back.close();
    if (idle.socket.ws.readyState === idle.socket.ws.OPEN) await idle.socket.close();
  });
});
