/**
 * Load generator for `npm run bench` (one process, meant to be pinned to its own core).
 *
 * Driven by bench/run.ts through JSON lines: commands on stdin, results on stdout.
 *   {"cmd":"setup", ...SetupCmd}   open N sessions (bounded concurrency) → {"type":"setup", ...}
 *   {"cmd":"run", ...RunCmd}       closed or open loop over those sessions → {"type":"run", ...}
 *   {"cmd":"close"}                terminate every socket and exit
 *
 * The same code drives both targets:
 *  - `colloquy`: the full Kore round-trip setup per client — mint a JWT for a distinct identity with
 *    the demo app's secret → POST /api/oAuth/token/jwtgrant → POST /api/rtm/start → open the
 *    WebSocket → wait for `bot_active` (then for the welcome `bot_response`, so that it cannot be
 *    mistaken for a reply).
 *  - `echo`: just open the socket.
 * Requests are the Web SDK's user frame; a request completes with the `bot_response` that follows its
 * `ack` (per connection, FIFO; the echo server's `bot_response` also carries `replyto`, which is used
 * when present). Closed-loop latency is measured from the send; open-loop latency from the *scheduled*
 * send time (coordinated-omission safe).
 *
 * Messages: loadgen/protocol.ts. Setup: loadgen/setup.ts. Frames and reply matching:
 * loadgen/connection.ts. Runs and their measured window: loadgen/run-load.ts, loadgen/run-state.ts.
 */
import { createInterface } from 'node:readline';
import { Fleet } from './loadgen/connection.js';
import type { FatalReply, LoadgenCmd } from './loadgen/protocol.js';
import { runLoad } from './loadgen/run-load.js';
import { setup } from './loadgen/setup.js';

const fleet = new Fleet();

const out = (msg: unknown): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
};

async function handle(line: string): Promise<void> {
  const cmd = JSON.parse(line) as LoadgenCmd;
  switch (cmd.cmd) {
    case 'setup':
      return out(await setup(fleet, cmd));
    case 'run':
      return out(await runLoad(fleet, cmd));
    case 'close':
      fleet.terminateAll();
      out({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      return;
  }
}

// Commands run one at a time, in the order they arrive.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(() => handle(line)).catch((err: unknown) => out({ type: 'fatal', message: String((err as Error)?.stack ?? err) } satisfies FatalReply));
});
process.stdin.on('end', () => {
  fleet.closing = true;
  queue.then(() => process.exit(0), () => process.exit(1));
});
