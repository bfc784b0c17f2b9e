import { afterAll, beforeAll, expect, test } from 'vitest';
import { KoreClient, textOf } from './support/kore-client.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('a user logs in, connects and gets an answer', async () => {
  const client = await KoreClient.login(server.url);
  const socket = await client.connect();
  await socket.next((f) => f['type'] === 'bot_active');
  const { ack, reply } = await socket.say('hello there');
  expect(ack).toMatchObject({ ok: true, type: 'ack', message: 'delivered' });
  expect(textOf(reply)).toMatch(/Hello!/);
  await socket.close();
});
