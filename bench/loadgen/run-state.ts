/**
 * The counters of one run, and what a reply means in each mode:
 *  - closed loop: latency from the actual send, for replies that arrive inside the window; every reply
 *    (or error) immediately sends the connection's next request, until `sendUntil`;
 *  - open loop: latency from the *scheduled* send time, for requests scheduled inside the window
 *    (coordinated-omission safe: a backlog in the generator or the server counts against the server).
 */
import { Samples } from './samples.js';

/** A request that has been sent and not yet answered. */
export interface Pending {
  readonly id: number;
  /** Send time (closed loop) or scheduled send time (open loop), performance.now() ms. */
  readonly t: number;
  /** Open loop: scheduled inside the measured window. */
  readonly measured: boolean;
  acked: boolean;
}

/** What a reply can ask of its connection: send the next request (false if the socket is not open). */
export interface Sender {
  send(t: number, measured: boolean): boolean;
}

/** The width of a slot of the open loop's latency timeline. */
export const SLOT_MS = 100;

export class RunState {
  readonly latencies = new Samples();
  completionsInWindow = 0;
  /** Open loop: requests scheduled inside the window and not answered yet. */
  measuredOutstanding = 0;
  errorFrames = 0;
  closes = 0;
  socketErrors = 0;
  unmatched = 0;
  sendFailures = 0;
  readonly errorSamples: string[] = [];
  /** Open loop: the worst latency of the requests scheduled in each {@link SLOT_MS} of the run (from its start). */
  readonly worstBySlot: number[] = [];

  constructor(
    readonly mode: 'closed' | 'open',
    /** performance.now() ms. */
    readonly windowStart: number,
    readonly windowEnd: number,
    /** Closed loop: stop sending after this time. */
    readonly sendUntil: number,
    /** performance.now() ms at which the run's first request was due (the timeline's origin). */
    readonly runStart = windowStart,
  ) {}

  /** Keeps the first few distinct error messages. */
  noteError(msg: string): void {
    sampleMessage(this.errorSamples, msg);
  }

  /** The `bot_response` to request `p` arrived on `c`. */
  complete(c: Sender, p: Pending): void {
    const now = performance.now();
    const inWindow = now >= this.windowStart && now < this.windowEnd;
    if (inWindow) this.completionsInWindow++;
    if (this.mode === 'closed') {
      if (inWindow) this.latencies.push(now - p.t);
      if (now < this.sendUntil && !c.send(now, false)) this.sendFailures++;
    } else {
      const slot = Math.floor((p.t - this.runStart) / SLOT_MS);
      if (slot >= 0 && !(this.worstBySlot[slot]! >= now - p.t)) this.worstBySlot[slot] = now - p.t;
      if (p.measured) {
        this.latencies.push(now - p.t);
        this.measuredOutstanding--;
      }
    }
  }

  /** An `error` frame answered request `p` on `c` (counted by the caller): it gets no latency. */
  refused(c: Sender, p: Pending): void {
    if (p.measured) this.measuredOutstanding--;
    if (this.mode === 'closed' && performance.now() < this.sendUntil) c.send(performance.now(), false);
  }
}

/** Adds `msg` to `list` unless it is there already or the list holds 8. */
export function sampleMessage(list: string[], msg: string): void {
  if (list.length < 8 && !list.includes(msg)) list.push(msg);
}
