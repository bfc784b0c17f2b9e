/**
 * Steady load for the failure tests: every device keeps one message in flight — it sends the next one once
 * the previous was acked (or after a while, when its node went away and the message waits to be re-sent).
 */
import type { Device } from './device.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Chatter {
  /** Stop sending new messages; resolves when every loop stopped. */
  stop(): Promise<void>;
  readonly sent: () => number;
}

export function chatter(devices: readonly Device[], pauseMs = 20): Chatter {
  let running = true;
  let sent = 0;
  const loops = devices.map(async (d, k) => {
    for (let n = 0; running; n++) {
      const before = d.acked.size;
      d.say(`${d.name} ${k} m${n}`);
      sent += 1;
      const deadline = Date.now() + 3000;
      while (running && d.acked.size === before && Date.now() < deadline) await sleep(5);
      await sleep(pauseMs);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    sent: () => sent,
  };
}

export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
