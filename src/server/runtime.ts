import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a server process, applied by `colloquy start` before the node is built.
 *
 * Allocation-site pretenuring off: V8 watches which allocation sites make objects that survive young-generation
 * GCs and then allocates them straight in the old generation. While the sessions connect, per-message sites
 * look long-lived; afterwards their objects die young, but are still born old, and only mark-compacts (the
 * 10–30 ms pauses in the tail of the open-loop latency) reclaim them. Measured with `npm run bench --
 * --alloc-only`: what no young GC collected fell from 2.6 to 1.5 KB per round trip, CPU per round trip
 * unchanged (0.989× side by side). The flag only stops new pretenuring decisions, so setting it this early is
 * the same as starting Node with `--no-allocation-site-pretenuring`.
 */
export function tuneRuntime(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
