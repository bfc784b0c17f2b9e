import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Suite } from '../../src/core/testing/suite.js';
import { need, SERVICES } from '../support/services.js';
import type { Harness, Implementation } from './implementations.js';

async function available(name: 'postgresql' | 'redis'): Promise<boolean> {
  const service = SERVICES.find((s) => s.name === name);
  return need(name, service !== undefined && (await service.available()));
}

/**
 * Register a conformance suite with vitest: one `describe` per implementation, one `test` per case.
 * Each implementation gets one fresh instance for the whole suite (cases use unique keys).
 */
export async function conformance<Ctx>(port: string, suite: Suite<Ctx>, implementations: readonly Implementation<Ctx>[]): Promise<void> {
  for (const impl of implementations) {
    const runnable = impl.requires === undefined || (await available(impl.requires));
    describe.skipIf(!runnable)(`${port} conformance: ${impl.name}`, () => {
      let harness: Harness<Ctx> | undefined;
      beforeAll(async () => {
        harness = await impl.setup();
      });
      afterAll(async () => {
        await harness?.teardown();
      });
      for (const c of suite) {
        test(c.name, async () => {
          if (!harness) throw new Error(`${impl.name} did not set up`);
          await c.run(harness.ctx);
        });
      }
    });
  }
}
