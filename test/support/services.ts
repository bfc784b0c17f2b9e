import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/** Under CI a missing service or browser fails the run; on a laptop it is skipped, loudly. */
export const IN_CI = /^(1|true|yes)$/i.test(process.env['CI'] ?? '');

export const CHROMIUM = '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** Is something listening on host:port? */
export function reachable(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface Service {
  readonly name: string;
  readonly available: () => Promise<boolean>;
  readonly hint: string;
}

export const SERVICES: readonly Service[] = [
  { name: 'chromium', available: async () => hasChromium(), hint: 'apt-get install chromium' },
  { name: 'postgresql', available: () => reachable(5432), hint: 'start PostgreSQL on 127.0.0.1:5432' },
  { name: 'redis', available: () => reachable(6379), hint: 'start Redis on 127.0.0.1:6379' },
];

/**
 * For a test file that needs `name`: true when it is there. When it is not, CI fails (throws) and a
 * laptop run skips the file — the global setup prints what was skipped.
 */
export function need(name: 'chromium' | 'postgresql' | 'redis', available: boolean): boolean {
  if (available) return true;
  if (IN_CI) throw new Error(`${name} is required under CI=true but is not available`);
  return false;
}
