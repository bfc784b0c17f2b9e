import { writeFileSync } from 'node:fs';
import { renderConfig, renderErrors } from './docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrors());
writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfig());
console.log('wrote docs/errors.md and docs/config.md');
