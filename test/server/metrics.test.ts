/**
 * `GET /metrics` of a real node: what the README promises is there and counts what happened, and the
 * runtime metrics whose cost grows with the open sockets are left out.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OMITTED_DEFAULT_METRICS } from '../../src/gateway/metrics.js';
import { KoreClient, type KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let socket: KoreSocket;

beforeAll(async () => {
  server = await startTestServer();
  socket = await (await KoreClient.login(server.url)).connect();
  await socket.say('hello metrics');
});
afterAll(async () => {
  await socket?.close();
  await server?.stop();
});

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
async function scrape(): Promise<{ contentType: string; samples: Map<string, number> }> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/i.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return { contentType: res.headers.get('content-type') ?? '', samples };
}

test('the metrics count connections, frames, HTTP requests and group commits', async () => {
  const { contentType, samples } = await scrape();
  expect(contentType).toMatch(/^text\/plain/);
  expect(samples.get('colloquy_connections{protocol="kore"}')).toBe(1);
  expect(samples.get('colloquy_frames_received_total')).toBeGreaterThanOrEqual(1);
  // bot_active, the ack and at least one bot_response.
  expect(samples.get('colloquy_frames_sent_total')).toBeGreaterThanOrEqual(3);
  expect(samples.get('colloquy_store_batch_size_count')).toBeGreaterThanOrEqual(1);
  expect(samples.get('colloquy_store_commit_seconds_count')).toBe(samples.get('colloquy_store_batch_size_count'));
  const grants = [...samples].filter(([k]) => k.startsWith('colloquy_http_requests_total{') && k.includes('jwtgrant') && k.includes('status="200"'));
  expect(grants.length).toBeGreaterThan(0);
  expect(samples.get('colloquy_process_cpu_seconds_total')).toBeGreaterThan(0);
  expect(samples.get('colloquy_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
});

test('no metric lists every socket; the open file descriptors are still counted', async () => {
  const { samples } = await scrape();
  for (const name of OMITTED_DEFAULT_METRICS.filter((n) => n !== 'process_open_fds')) {
    expect([...samples.keys()].filter((k) => k.startsWith(`colloquy_${name}`))).toEqual([]);
  }
  if (process.platform !== 'linux') return;
  const fds = samples.get('colloquy_process_open_fds')!;
  // This process holds the server and the test's client: both ends of the socket, the database, the listener…
  const listed = readdirSync('/proc/self/fd').length - 1;
  expect(fds).toBeGreaterThan(5);
  expect(Math.abs(fds - listed)).toBeLessThanOrEqual(4);
});
