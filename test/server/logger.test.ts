import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { createLogger } from '../../src/server/logger.js';

test('secrets never reach the logs', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger('info', sink);
  log.info(
    {
      assertion: 'eyJhbGciOiJIUzI1NiJ9.jwt.sig',
      app: { clientSecret: 'top-secret-value', clientId: 'cs-visible' },
      req: { headers: { authorization: 'bearer tok-123' } },
      grant: { accessToken: 'access-456' },
      sid: 'ticket-789',
    },
    'login',
  );
  const out = lines.join('');
  for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 'top-secret-value', 'tok-123', 'access-456', 'ticket-789']) expect(out).not.toContain(secret);
  expect(out).toContain('cs-visible');
  expect(out).toContain('[redacted]');
});
