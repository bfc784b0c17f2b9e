/**
 * The messages between bench/run.ts and the load generator process (bench/loadgen.ts): one JSON object
 * per line, commands on the generator's stdin, results on its stdout, answered in order.
 */

/**
 * `echo`: the raw `ws` echo (bench/echo-server.ts). `group-commit`: the same plus SQLite group commit, the bare
 * durable floor (bench/group-commit-server.ts). `colloquy`: one node, embedded (SQLite). `pg-redis-1` /
 * `pg-redis-2`: one or two nodes sharing PostgreSQL and Redis (bench/cluster.ts), driven exactly like `colloquy`.
 */
export type Target = 'echo' | 'group-commit' | 'colloquy' | 'pg-redis-1' | 'pg-redis-2';

/** A baseline: a bare WebSocket server (no sign-in, no welcome) that answers every frame with an ack and a reply. */
export const isBaseline = (t: Target): boolean => t === 'echo' || t === 'group-commit';

export interface SetupCmd {
  readonly cmd: 'setup';
  readonly target: Target;
  /** `http://127.0.0.1:port` (Colloquy) or `ws://127.0.0.1:port/` (echo). */
  readonly url: string;
  /** Several nodes: session i is set up on `urls[i % urls.length]` (no sticky anything: any node serves any user). */
  readonly urls?: readonly string[];
  readonly connections: number;
  /** Sessions being set up at the same time. */
  readonly concurrency: number;
  /** Colloquy: how long to wait for the welcome message of every session. */
  readonly welcomeTimeoutMs: number;
  /** Makes identities unique across runs against the same data directory. */
  readonly tag: string;
  /** When given, the server's CPU use during the setup phase is reported. */
  readonly serverPid?: number;
  /** Several nodes: their CPU is summed (instead of `serverPid`'s). */
  readonly serverPids?: readonly number[];
  readonly clkTck?: number;
}

export interface RunCmd {
  readonly cmd: 'run';
  readonly mode: 'closed' | 'open';
  readonly durationMs: number;
  /** The first `warmupMs` of the run are not measured. */
  readonly warmupMs: number;
  /** Open loop: aggregate requests per second, round-robin over the connections. */
  readonly rate?: number;
  /** After the last send, how long to wait for outstanding replies (open loop). */
  readonly drainMs: number;
  /** A request still unanswered after this long counts as a timeout. */
  readonly timeoutMs: number;
  /** The server process to sample (CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status). */
  readonly serverPid: number;
  /** Several nodes: CPU and RSS summed over them (instead of `serverPid`'s). */
  readonly serverPids?: readonly number[];
  /** Outside services whose CPU is reported apart (process names, e.g. `postgres`, `redis-server`). */
  readonly serviceNames?: readonly string[];
  readonly clkTck: number;
  /** Colloquy's Prometheus endpoint: group-commit statistics are read at the window's start and end. */
  readonly metricsUrl?: string;
}

/** Terminate every socket and exit (answered with `{"type":"closed"}`). */
export interface CloseCmd {
  readonly cmd: 'close';
}

export type LoadgenCmd = SetupCmd | RunCmd | CloseCmd;

/** Group commits inside the measured window, from Colloquy's `colloquy_store_*` histograms. */
export interface StoreStats {
  readonly commits: number;
  readonly commitsPerSec: number;
  readonly appends: number;
  readonly meanBatch: number;
  readonly meanCommitMs: number;
  /** Share of the window's wall time spent inside group commits (the event loop is blocked meanwhile). */
  readonly commitWallPct: number;
  /** Commits per `le` bucket of colloquy_store_commit_seconds (non-cumulative). */
  readonly commitMsBuckets: Record<string, number>;
}

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface SetupResult {
  readonly type: 'setup';
  readonly target: Target;
  readonly requested: number;
  readonly connected: number;
  readonly failed: number;
  readonly errorSamples: string[];
  readonly wallMs: number;
  readonly sessionsPerSec: number;
  /** Server CPU during the setup phase: % of one core, and µs per session set up. */
  readonly serverCpuPct: number;
  readonly serverCpuUsPerSession: number;
  /** CLOCK_MONOTONIC µs of the setup phase (welcome wait excluded), to cut a profile to it. */
  readonly windowMonoUs: { readonly start: number; readonly end: number };
  /** Per session: start of setup → socket ready (`bot_active` for Colloquy, `open` for echo). */
  readonly latencyMs: LatencySummary;
  readonly welcomed: number;
  readonly welcomeWaitMs: number;
}

/** Server I/O per completed round trip, from /proc/<pid>/io. */
export interface IoPerMsg {
  readonly readSyscalls: number;
  readonly writeSyscalls: number;
  readonly wcharBytes: number;
  readonly storageWriteBytes: number;
}

export interface RunResult {
  readonly type: 'run';
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly offeredRate: number | null;
  readonly windowSec: number;
  /** Completions whose reply arrived inside the measured window. */
  readonly completions: number;
  readonly msgPerSec: number;
  readonly latencyMs: LatencySummary;
  /** Open loop: requests scheduled inside the window that got no reply before the drain ended. */
  readonly timeouts: number;
  /** Requests the generator could not send (socket not open). */
  readonly sendFailures: number;
  /** `error` frames received, unexpected socket closes and socket errors during the run. */
  readonly errorFrames: number;
  readonly closes: number;
  readonly socketErrors: number;
  readonly unmatchedReplies: number;
  readonly errorSamples: string[];
  readonly serverCpuPct: number;
  readonly serverCpuUsPerMsg: number;
  /** The outside services' CPU (PostgreSQL, Redis), when asked for. */
  readonly serviceCpuPct?: number;
  readonly serviceCpuUsPerMsg?: number;
  readonly loadgenCpuPct: number;
  /** CPU used by every other process on the box (services excluded), in % of one core (kernel I/O threads included). */
  readonly otherCpuPct: number;
  readonly serverRssMiB: { readonly mean: number; readonly max: number; readonly hwm: number };
  readonly store: StoreStats | null;
  /** Null when /proc/<pid>/io is unreadable. */
  readonly ioPerMsg: IoPerMsg | null;
  /** CLOCK_MONOTONIC µs (same clock as V8's --cpu-prof timestamps), to cut a profile to the window. */
  readonly windowMonoUs: { readonly start: number; readonly end: number };
  /**
   * Open loop: the worst latency of the requests scheduled in each slot of `slotMs` from the first one
   * (at `startWallMs`, Date.now()), the `warmupMs` before the measured window included — where the tail came from.
   */
  readonly timeline?: { readonly startWallMs: number; readonly slotMs: number; readonly warmupMs: number; readonly worstMs: readonly number[] };
}

/** What the generator reports when a command threw; the runner rejects the pending command with it. */
export interface FatalReply {
  readonly type: 'fatal';
  readonly message: string;
}
