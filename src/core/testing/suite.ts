/**
 * Conformance suites are plain lists of named async cases using `node:assert`, so any test runner can
 * run them against any implementation of a port (see test/conformance for how we register them).
 */
export interface ConformanceCase<Ctx> {
  readonly name: string;
  run(ctx: Ctx): Promise<void>;
}

export type Suite<Ctx> = readonly ConformanceCase<Ctx>[];

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
