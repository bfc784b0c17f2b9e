import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { renderConfig, renderErrors } from '../../scripts/docs.js';

const read = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

test('docs/errors.md matches the error table (run `npm run docs` after changing src/core/errors.ts)', () => {
  expect(read('errors.md')).toBe(renderErrors());
});

test('docs/config.md matches the config schema (run `npm run docs` after changing src/server/config/schema.ts)', () => {
  expect(read('config.md')).toBe(renderConfig());
});
