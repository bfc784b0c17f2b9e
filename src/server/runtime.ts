import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a server process. Those V8 reads only at start-up come from the command line, in one place:
 * the shebang of `cli.ts` (what `npx colloquy` runs), repeated by `npm start` (a test keeps them equal) and
 * read by `npm run bench`. `--max-semi-space-size=64`: a young generation of up to 64 MB per semi-space
 * instead of 16. Under load a round trip's objects (22 KB) mostly die young, but with 1000 turns in flight
 * a 16 MB semi-space fills before they do, so every scavenge copied the in-flight turns; four times the room
 * means a quarter of the scavenges for about the same live set: 0.931× CPU per round trip side by side
 * (closed loop, 1000 connections; open loop at 2,000 msg/s: 1.003×, p99 unchanged). The young generation
 * grows to that size only under such load.
 *
 * `--initial-old-space-size=256`: the old generation may hold 256 MB before V8 starts a mark-compact (by
 * default it starts one once the old generation is about 1.2–1.3× what the last one left, here every ~6 s at
 * 5,000 msg/s). A mark-compact marks everything live (~45 MB with 1000 sessions), whatever the heap's size,
 * and on the one core a server has it stops the event loop for 100–150 ms counted with the backlog it
 * leaves: it was the open loop's p99 (5,000 msg/s: p99 153–269 ms with one in the window, 15–35 ms in most runs
 * without). With the floor, at that rate (≈ 330 B promoted per message) one falls about every 2 minutes instead. Memory
 * pays for it: up to ~210 MB of garbage can be held until that collection, also by a node that went idle
 * (V8 collects when it allocates, not when it rests). `--max-old-space-size` still bounds the heap: V8 lowers
 * the floor to it. Side by side, closed loop, 1000 connections: 0.949× CPU per round trip.
 *
 * Set here, by `colloquy start` before the node is built:
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
