import assert from 'node:assert/strict';
import type { ConversationRef } from '../model.js';
import type { IdleHandler, IdleTimers } from '../ports/idle-timers.js';
import { eventually, sleep, type Suite } from './suite.js';

export interface IdleTimersCtx {
  /** A node's timers; every call is another node on the same backend. */
  create(idleMs: number, onIdle: IdleHandler): IdleTimers;
  /**
   * True when the timers are shared between nodes (fired on one of them, kept when the node that set them
   * stops, offered again after a failed handler); false for timers local to a process.
   */
  readonly shared: boolean;
}

let n = 0;
const conv = (): ConversationRef => {
  n += 1;
  return { id: `c-timer-${process.pid}-${Date.now()}-${n}`, botId: 'st-timer', userId: `u-${n}` };
};

/** Timers a case created, stopped when it ends. */
const created: IdleTimers[] = [];
function node(ctx: IdleTimersCtx, idleMs: number, fired: string[], outcome: () => Promise<unknown> = async () => undefined): IdleTimers {
  const t = ctx.create(idleMs, (c, sessionId) => {
    fired.push(`${c.id}/${sessionId}`);
    return outcome();
  });
  created.push(t);
  return t;
}
const stopAll = () => created.splice(0).forEach((t) => t.stop());

/** What every IdleTimers must do. Delays are short, with slack for implementations that poll. */
export const idleTimersSuite: Suite<IdleTimersCtx> = [
  {
    name: 'a touched session is handed to onIdle once, not before its delay',
    async run(ctx) {
      try {
        const fired: string[] = [];
        const t = node(ctx, 60_000, fired);
        const c = conv();
        const touched = Date.now();
        t.touch(c, 's-1', 300);
        await eventually(() => fired.length > 0, 3000, 'onIdle');
        assert.ok(Date.now() - touched >= 290, `fired after ${Date.now() - touched} ms`);
        await sleep(400);
        assert.deepEqual(fired, [`${c.id}/s-1`]);
      } finally {
        stopAll();
      }
    },
  },
  {
    name: 'it fires at the latest about the idle time after the last touch, with the last session',
    async run(ctx) {
      try {
        const fired: string[] = [];
        const t = node(ctx, 400, fired);
        const c = conv();
        t.touch(c, 's-1');
        await sleep(150);
        t.touch(c, 's-2');
        const last = Date.now();
        await eventually(() => fired.length > 0, 3000, 'onIdle');
        assert.ok(Date.now() - last <= 400 + 1500, `fired ${Date.now() - last} ms after the last touch`);
        // An implementation may ask early (the service re-checks and touches again); it asks about the newest session.
        assert.equal(fired.at(-1), `${c.id}/s-2`);
      } finally {
        stopAll();
      }
    },
  },
  {
    name: 'activity in the same session postpones the idle end; it is handed over once',
    async run(ctx) {
      try {
        const fired: string[] = [];
        const t = node(ctx, 60_000, fired);
        const c = conv();
        t.touch(c, 's-1', 300);
        await sleep(200);
        t.touch(c, 's-1', 300);
        const last = Date.now();
        await eventually(() => fired.length > 0, 3000, 'onIdle');
        const after = Date.now() - last;
        assert.ok(after <= 300 + 1500, `fired ${after} ms after the last touch`);
        // A local timer knows the last touch: it does not ask before the delay after it (shared ones may ask early).
        if (!ctx.shared) assert.ok(after >= 290, `fired ${after} ms after the last touch`);
        await sleep(400);
        assert.deepEqual(fired, [`${c.id}/s-1`]);
      } finally {
        stopAll();
      }
    },
  },
  {
    name: 'forget cancels; other conversations are not affected',
    async run(ctx) {
      try {
        const fired: string[] = [];
        const t = node(ctx, 60_000, fired);
        const gone = conv();
        const kept = conv();
        t.touch(gone, 's-1', 200);
        t.touch(kept, 's-1', 200);
        t.forget(gone.id);
        await eventually(() => fired.length > 0, 3000, 'onIdle of the kept conversation');
        await sleep(400);
        assert.deepEqual(fired, [`${kept.id}/s-1`]);
      } finally {
        stopAll();
      }
    },
  },
  {
    name: 'shared: a timer set on one node is handed to exactly one node, even after that node stopped',
    async run(ctx) {
      if (!ctx.shared) return;
      try {
        const firedA: string[] = [];
        const firedB: string[] = [];
        const firedC: string[] = [];
        const a = node(ctx, 60_000, firedA);
        node(ctx, 60_000, firedB);
        node(ctx, 60_000, firedC);
        const cs = Array.from({ length: 10 }, conv);
        for (const c of cs) a.touch(c, 's-1', 200);
        a.stop();
        await eventually(() => firedB.length + firedC.length >= cs.length, 4000, 'every timer');
        await sleep(500);
        assert.deepEqual(firedA, []);
        assert.deepEqual([...firedB, ...firedC].sort(), cs.map((c) => `${c.id}/s-1`).sort());
      } finally {
        stopAll();
      }
    },
  },
  {
    name: 'shared: a timer whose handler failed is offered again',
    async run(ctx) {
      if (!ctx.shared) return;
      try {
        const fired: string[] = [];
        let failures = 1;
        const t = node(ctx, 60_000, fired, async () => {
          if (failures-- > 0) throw new Error('store unavailable');
        });
        const c = conv();
        t.touch(c, 's-1', 100);
        await eventually(() => fired.length >= 2, 5000, 'a second offer');
        await sleep(600);
        assert.deepEqual(fired, [`${c.id}/s-1`, `${c.id}/s-1`]);
      } finally {
        stopAll();
      }
    },
  },
];
