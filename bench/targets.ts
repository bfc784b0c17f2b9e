/** The issue's goals G1–G3, checked against a run's aggregates (closed 1000 conns, open 5k msg/s over 1000). */
import type { Agg } from './aggregate.js';
import { f0, f1, f2, ratio } from './format.js';
import type { DiskProbe } from './disk.js';
import type { Target } from './loadgen/protocol.js';
import type { Scenario } from './measure.js';

export interface TargetCheck {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly miss: string;
}

export function checkTargets(aggs: Agg[], scenarios: Scenario[], disks: readonly DiskProbe[] = []): TargetCheck[] {
  const out: TargetCheck[] = [];
  const c1000 = scenarios.find((s) => s.mode === 'closed' && s.connections === 1000);
  const o5k = scenarios.find((s) => s.mode === 'open' && s.rate === 5000 && s.connections === 1000);
  const get = (s: Scenario | undefined, t: Target) => (s ? aggs.find((a) => a.scenario === s.name && a.target === t) : undefined);
  const ce = get(c1000, 'echo');
  const cc = get(c1000, 'colloquy');
  // The reference's anchors, measured in the same run: the bare durable floor (its `sqlite-batch-full`).
  const cg = get(c1000, 'group-commit');
  if (ce && cc) {
    const r = cc.msgPerSec / ce.msgPerSec;
    out.push({
      name: 'G1 throughput, closed loop, 1000 conns',
      goal: '≥ 0.50× raw ws echo',
      measured:
        `${r.toFixed(2)}× (${f0(cc.msgPerSec)} vs ${f0(ce.msgPerSec)} msg/s)` +
        (cg ? `; the bare group commit ${ratio(cg.msgPerSec, ce.msgPerSec)} the echo (${f0(cg.msgPerSec)} msg/s; the reference's: 0.61×)` : ''),
      pass: r >= 0.5,
      miss: `${((0.5 - r) * 100).toFixed(0)} points short; needs ${f0(0.5 * ce.msgPerSec)} msg/s, ${(0.5 / r).toFixed(2)}× the current rate`,
    });
  }
  if (cc) {
    out.push({
      name: 'G2 server CPU per round trip, 1000 conns',
      goal: '≤ 45 µs',
      measured:
        `${f1(cc.cpuUsPerMsg)} µs${ce ? ` (${ratio(cc.cpuUsPerMsg, ce.cpuUsPerMsg)} echo's ${f1(ce.cpuUsPerMsg)} µs)` : ''}` +
        (cg ? `; the bare group commit ${f1(cg.cpuUsPerMsg)} µs${ce ? ` (${ratio(cg.cpuUsPerMsg, ce.cpuUsPerMsg)} the echo's; the reference's: 1.6×)` : ''}` : '') +
        (ce && Number.isFinite(cc.instrPerMsg) ? `; instructions ${ratio(cc.instrPerMsg, ce.instrPerMsg)} echo's (the goal's form on this machine: ≤ 2.1×)` : ''),
      pass: cc.cpuUsPerMsg <= 45,
      miss: `${f1(cc.cpuUsPerMsg - 45)} µs over (${((cc.cpuUsPerMsg / 45 - 1) * 100).toFixed(0)} % too much)`,
    });
  }
  const oc = get(o5k, 'colloquy');
  const og = get(o5k, 'group-commit');
  if (oc) {
    const achieved = oc.msgPerSec / 5000;
    out.push({
      name: 'G3 latency, open loop 5k msg/s, 1000 conns',
      goal: 'p99 ≤ 10 ms (realistic goal also: p50 ≤ 3 ms, max ≤ 50 ms, 0 errors)',
      measured:
        `p50 ${f2(oc.p50)} / p99 ${f2(oc.p99)} / max ${f1(oc.max)} ms, achieved ${f0(oc.msgPerSec)} msg/s (${(achieved * 100).toFixed(0)} %), ${oc.errors} errors` +
        (og ? `; the bare group commit p50 ${f2(og.p50)} / p99 ${f2(og.p99)} / max ${f1(og.max)} ms (the reference's: 1.8 / 4.7–5.0 / 9–12)` : ''),
      pass: oc.p99 <= 10 && oc.errors === 0,
      miss:
        (oc.p99 > 10 ? `p99 ${f2(oc.p99 - 10)} ms over (${(oc.p99 / 10).toFixed(1)}× the goal)` : `${oc.errors} errors`) +
        floor(disks.filter((d) => d.scenario === o5k!.name)),
    });
  }
  return out;
}

/** What the disk alone allowed before each run (bench/disk.ts), for G3's verdict. */
function floor(probes: readonly DiskProbe[]): string {
  if (probes.length === 0) return '';
  const blocked = probes.filter((d) => d.beyondGoalPct > 1).length;
  return (
    `; the disk alone, just before each run, spent ${probes.map((d) => `${f2(d.beyondGoalPct)} %`).join(' / ')} of the time in syncs beyond 10 ms` +
    (blocked > 0 ? ` (over 1 % in ${blocked} of ${probes.length}: a disk that stalls like that leaves no server that persists before it acks a p99 of 10 ms)` : '')
  );
}
