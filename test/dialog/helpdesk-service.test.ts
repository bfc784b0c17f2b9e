/** The demo's ticket service over real HTTP: its token, its validation, and tickets kept per requester. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MONDAY } from './support/chat.js';
import { startTicketServer, type TestHttpServer } from './support/ticket-server.js';

let server: TestHttpServer;
beforeAll(async () => {
  server = await startTicketServer(new ManualClock(MONDAY));
});
afterAll(() => server.close());

const call = async (method: string, path: string, body?: unknown, token: string | null = server.token) => {
  const res = await fetch(`${server.url}/api/helpdesk/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
};

test('without the token, or with another one: 401', async () => {
  expect((await call('GET', 'tickets?requester=u-1', undefined, null)).status).toBe(401);
  expect((await call('GET', 'tickets?requester=u-1', undefined, 'guess')).status).toBe(401);
});

test('create, read and list; someone else\'s ticket is not found', async () => {
  const created = await call('POST', 'tickets', { requester: 'u-a', summary: 'Printer jams', priority: 'high' });
  expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^HD-\d{4}$/), requester: 'u-a', category: 'incident', status: 'open', priority: 'high', openedOn: '2030-01-14' } });
  const id = created.body.id as string;
  expect((await call('GET', `tickets/${id.toLowerCase()}?requester=u-a`)).body).toMatchObject({ id, summary: 'Printer jams' });
  expect((await call('GET', `tickets/${id}?requester=u-b`)).status).toBe(404);
  expect((await call('GET', 'tickets/HD-9999?requester=u-a')).status).toBe(404);
  await call('POST', 'tickets', { requester: 'u-a', summary: 'Second', category: 'hardware', neededBy: '2030-02-01' });
  expect((await call('GET', 'tickets?requester=u-a')).body.tickets.map((t: { summary: string }) => t.summary)).toEqual(['Second', 'Printer jams']);
  expect((await call('GET', 'tickets?requester=u-b')).body.tickets).toEqual([]);
});

test('invalid tickets are refused with the reason', async () => {
  expect(await call('POST', 'tickets', { summary: 'x' })).toMatchObject({ status: 400, body: { errors: [{ msg: '"requester" is required' }] } });
  expect((await call('POST', 'tickets', { requester: 'u', summary: 'x', priority: 'urgent' })).body.errors[0].msg).toMatch(/"priority" must be one of/);
  expect((await call('POST', 'tickets', { requester: 'u', summary: 'x', neededBy: 'soon' })).body.errors[0].msg).toBe('"neededBy" must be YYYY-MM-DD');
});
