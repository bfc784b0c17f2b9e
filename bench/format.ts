/** Number formats and shared sentences of the markdown report. */
import type { RunResult, Target } from './loadgen/protocol.js';

export const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');

/** How a server is named in the tables. */
export const serverName = (t: Target) =>
  t === 'echo' ? 'ws echo' : t === 'group-commit' ? 'bare group commit (ws + SQLite)' : t === 'pg-redis-1' ? '**Colloquy** PG+Redis, 1 node' : t === 'pg-redis-2' ? '**Colloquy** PG+Redis, 2 nodes' : '**Colloquy**';

/** Inline code in a table cell (`|` escaped). */
export const codeCell = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;

/** Colloquy's group commits and I/O during a run's window, as one sentence ('' for the echo). */
export function groupCommitSentence(r: RunResult): string {
  const st = r.store;
  if (!st) return '';
  const io = r.ioPerMsg;
  const ioText = io
    ? ` Per round trip the server made ${f1(io.writeSyscalls)} write and ${f1(io.readSyscalls)} read system calls, wrote ${f0(io.wcharBytes)} B through them (sockets + files) and ${f0(io.storageWriteBytes)} B reached the block device.`
    : '';
  const buckets = Object.entries(st.commitMsBuckets)
    .filter(([, n]) => n > 0)
    .map(([le, n]) => `≤${le}: ${n}`)
    .join(', ');
  return (
    `Group commit in that window: ${f0(st.commitsPerSec)} commits/s, ${f1(st.meanBatch)} appends per commit, ${f2(st.meanCommitMs)} ms per commit ` +
    `⇒ ${f0(st.commitWallPct)} % of wall time inside COMMIT batches (commit-time buckets: ${buckets}).` +
    ioText
  );
}
