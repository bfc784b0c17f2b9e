/**
 * The Node flags Colloquy ships with (src/server/runtime.ts) live in the shebang of the CLI; `npm start`
 * repeats them and `npm run bench` reads them from the shebang. This keeps the first two equal.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { shippedFlags } from '../../bench/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('npm start runs the server with the flags of the CLI shebang', () => {
  const flags = shippedFlags(`${root}src/server/cli.ts`);
  expect(flags).toContain('--max-semi-space-size=64');
  expect(flags).toContain('--initial-old-space-size=256');
  const start = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
  expect(start).toMatch(/\bnode (.+) dist\/server\/cli\.js start$/);
  expect(start.match(/\bnode (.+) dist\/server\/cli\.js start$/)![1]!.split(' ')).toEqual(flags);
});
