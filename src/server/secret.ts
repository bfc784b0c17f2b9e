import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from '../core/ids.js';

/** The access-token signing secret: configured, or generated once into the data directory (mode 0600). */
export function serverSecret(configured: string, dataDir: string): string {
  if (configured) return configured;
  const path = join(dataDir, 'secret.key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = newSecret(32);
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    // Another process created it first: use theirs.
    return readFileSync(path, 'utf8').trim();
  }
  return secret;
}
