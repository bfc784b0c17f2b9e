/** The PostgreSQL + Redis targets beside the embedded store, as one markdown table per run (bench/cluster.ts). */
import type { Agg } from './aggregate.js';
import { f0, f1, f2, ratio, serverName } from './format.js';
import type { Target } from './loadgen/protocol.js';
import type { Scenario } from './measure.js';

const ROWS: readonly Target[] = ['colloquy', 'pg-redis-1', 'pg-redis-2'];

export function clusterTables(scenarios: readonly Scenario[], aggs: readonly Agg[]): string {
  if (!aggs.some((a) => a.target === 'pg-redis-1' || a.target === 'pg-redis-2')) return '';
  const lines = [
    '### Scale-out: PostgreSQL + Redis beside the embedded store',
    '',
    'Same load and demo bot as the embedded `colloquy` rows. Nodes: node 1 pinned to core 0, node 2 to core 1 (beside the load generator); ' +
      'PostgreSQL and Redis are the machine\'s services, not pinned. Colloquy CPU = all nodes; services = every `postgres` and `redis-server` ' +
      'process. ×embedded = this row ÷ the embedded row of the same scenario and run.',
    '',
    '| scenario | server | msg/s | ×embedded | p50 ms | p99 ms | max ms | Colloquy CPU µs/msg | services CPU µs/msg | total CPU µs/msg | Colloquy CPU % | services CPU % | setup sessions/s | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of scenarios) {
    const base = aggs.find((a) => a.scenario === s.name && a.target === 'colloquy');
    for (const t of ROWS) {
      const a = aggs.find((x) => x.scenario === s.name && x.target === t);
      if (!a) continue;
      const services = Number.isFinite(a.serviceCpuUsPerMsg) ? a.serviceCpuUsPerMsg : 0;
      lines.push(
        `| ${s.name} | ${serverName(t)} | ${f0(a.msgPerSec)} | ${t === 'colloquy' || !base ? '1.00×' : ratio(a.msgPerSec, base.msgPerSec)} | ${f2(a.p50)} | ${f2(a.p99)} | ${f1(a.max)} | ${f1(a.cpuUsPerMsg)} | ${t === 'colloquy' ? '–' : f1(services)} | ${f1(a.cpuUsPerMsg + services)} | ${f0(a.serverCpuPct)} | ${t === 'colloquy' ? '–' : f0(a.serviceCpuPct)} | ${f0(a.setupPerSec)} | ${a.errors + a.timeouts} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
