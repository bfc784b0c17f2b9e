import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config/load.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One server per data directory: the embedded store is the only writer of its database. A lock file
 * names the owner's pid; a stale one (its process is gone, e.g. after `kill -9`) is taken over.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new ConfigError([`data directory ${dataDir} is in use by another Colloquy server (pid ${owner}); give each server its own COLLOQUY_DATA_DIR`]);
      }
      if (owner === process.pid) {
        throw new ConfigError([`data directory ${dataDir} is already used by a server in this process`]);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError([`could not lock data directory ${dataDir}`]);
}
