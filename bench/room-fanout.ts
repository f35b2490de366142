import { databaseUrl, host, loadOrCreateSecrets, ports, workerVars } from "../scripts/lib/local-config.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { startFanoutCeiling } from "./fanout-ceiling.ts";
import { waitForQuietMachine } from "./machine-idle.ts";
import { runBounded, summarize, type LatencySummary } from "./latency-stats.ts";
import { LoadShards } from "./fanout-load/load-shards.ts";
import { sharedNow } from "./fanout-load/shared-clock.ts";
import type { Seat, SeatTarget } from "./fanout-load/shard-messages.ts";
import { startSocketIoBaseline } from "./socketio-baseline.ts";

/**
 * Chat fan-out in one meeting: N WebSocket clients each send chat at a fixed rate, every client receives every
 * message. Three systems on the same 2 cores, one after the other: ours (the MeetingRoom DO under local workerd),
 * the runtime's ceiling (a minimal DO in the same workerd build that only rebroadcasts each message to its
 * hibernated sockets, bench/fanout-ceiling/), and a Socket.IO server with the Redis adapter on the real Redis
 * (socketio-baseline-server.ts). Each is swept over bounded offered rates; its saturation rate is the highest
 * offered deliveries/s at which p99 < 100 ms and nothing is lost. Run twice: clients offering permessage-deflate
 * the way Chromium does (ws' default offer, `permessage-deflate; client_max_window_bits`) and clients offering none.
 * The load generator (every client, every JSON parse: worker threads of this process, fanout-load/) shares the
 * cores with the system under test, so the ratios are the fair part, not the absolutes.
 */

export interface SweepStep {
  /** Clients connected for the step: more than `FanoutOptions.clients` join (unmeasured) before it. */
  clients: number;
  /** Chat messages per client per second (the room allows 5 burst / 2 per s, so ≤ 2/s never trips the limiter). */
  ratePerClient: number;
}

export interface FanoutOptions {
  /** Clients of the join burst and of the first steps. */
  clients: number;
  /** The offered loads, in order: rates at `clients`, then more clients at the highest rate the room allows. */
  steps: SweepStep[];
  warmupSeconds: number;
  measureSeconds: number;
  /** How long to wait after the last send for deliveries still in flight. */
  drainMs: number;
  /** Joins of the burst: all clients, this many at a time. */
  joinConcurrency: number;
  /** Joins one at a time into an empty room, before the burst. */
  quietJoins: number;
  /** Worker threads the clients are spread over (each its own heap and event loop, as real participants have). */
  loadThreads: number;
}

export const defaultFanoutOptions: FanoutOptions = {
  clients: 200,
  steps: [
    ...[0.25, 0.5, 1, 1.5, 2].map((ratePerClient) => ({ clients: 200, ratePerClient })),
    // Past 200 × 2/s (80,000 deliveries/s) only more clients raise the load: the room's rate limit caps each one.
    // Steps of 25 clients, 11–27 % more load each (load grows with clients²): with steps of 50 (23–56 %), where
    // the steps happened to fall decided the ratio as much as the systems did.
    ...Array.from({ length: 12 }, (_, i) => ({ clients: 225 + 25 * i, ratePerClient: 2 })),
  ],
  warmupSeconds: 1,
  measureSeconds: 4,
  drainMs: 3_000,
  joinConcurrency: 50,
  quietJoins: 20,
  loadThreads: Number(process.env.FANOUT_LOAD_THREADS ?? 4),
};

const p99LimitMs = 100;
/** Before a failed step's second trial: the first one's backlog drains. */
const retryPauseMs = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StepResult {
  clients: number;
  ratePerClient: number;
  offeredPerSecond: number;
  delivery: LatencySummary;
  expected: number;
  refusals: number;
  ok: boolean;
  /** 2 when the first trial failed and the step was measured again (the better trial is reported). */
  trials: number;
}
interface SweepResult {
  quietJoins: LatencySummary;
  burstJoins: LatencySummary;
  steps: StepResult[];
  /** Highest offered deliveries/s that passed (0 when none did). */
  saturation: number;
  /** Every step passed: the system's saturation is above the sweep's highest step, which `saturation` then is. */
  beyondSweep: boolean;
}

/**
 * Quiet joins (one at a time, then they leave), then all clients join in a burst and stay for the sweep: each
 * step sends `warm` then `measure` messages per client spread evenly over the period (client i offset by i/N),
 * each body "m<step><trial> <send time> <client>"; only the trial's measured messages count. A step that fails is
 * measured once more; the sweep stops at the first step whose trials both fail: the system is saturated, and its
 * backlog would spoil the next step anyway. `seat(i)` is where the i-th token connects; the clients run on the
 * load threads, which the sweeps share (as one process served them all before: their code is warm after the first).
 */
async function sweep(
  load: LoadShards,
  seat: (index: number) => SeatTarget,
  options: FanoutOptions,
  beforeClose?: () => Promise<void>,
): Promise<SweepResult> {
  const { clients: burstSize, steps: plan, warmupSeconds, measureSeconds, drainMs, quietJoins, joinConcurrency } = options;
  const settled = await waitForQuietMachine();
  if (settled.busy >= 0.3)
    console.log(`  (the machine was still ${(settled.busy * 100).toFixed(0)}% busy after ${settled.waitedMs.toFixed(0)} ms)`);
  /** `count` seats from sweep position `from`, on tokens from `firstToken`. */
  const seats = (from: number, count: number, firstToken: number): Seat[] =>
    Array.from({ length: count }, (_, k) => ({ position: from + k, target: seat(firstToken + k) }));

  const steps: StepResult[] = [];
  let quiet: LatencySummary | undefined;
  let burst: LatencySummary | undefined;
  try {
    // Quiet joins on tokens after the burst's seats.
    const quietJoined = await load.join(seats(0, quietJoins, burstSize), 1, false);
    if (quietJoined.failure) throw quietJoined.failure;
    quiet = quietJoined.summary;
    const burstJoined = await load.join(seats(0, burstSize, 0), joinConcurrency, true);
    burst = burstJoined.summary;
    if (burstJoined.failure) throw burstJoined.failure;
    let connected = burstSize;
    for (const [step, { clients: n, ratePerClient: rate }] of plan.entries()) {
      if (n > connected) {
        // Tokens after the burst's and the quiet joins' seats.
        const more = await load.join(seats(connected, n - connected, connected + quietJoins), joinConcurrency, true);
        connected = n;
        if (more.failure) throw more.failure;
      }
      // One trial of the step; a failed one is measured once more after a pause (so its backlog is gone), and the
      // better trial counts: one stall of the shared machine must not decide a system's saturation. Every system
      // gets the same second chance.
      const trial = async (name: string): Promise<StepResult> => {
        const periodMs = 1000 / rate;
        const warm = Math.round(warmupSeconds * rate);
        const total = warm + Math.round(measureSeconds * rate);
        const startAt = sharedNow() + 100;
        const measureFrom = startAt + warm * periodMs;
        const measured = await load.step({ type: "step", name, clients: n, periodMs, warm, total, startAt, drainMs });
        const expected = n * (total - warm) * n;
        const delivery = summarize(measured.latencies, Math.max(1, (measured.lastReceivedAt || sharedNow()) - measureFrom));
        const ok = delivery.count === expected && measured.refusals === 0 && delivery.p99 < p99LimitMs;
        return {
          clients: n,
          ratePerClient: rate,
          offeredPerSecond: n * rate * n,
          delivery,
          expected,
          refusals: measured.refusals,
          ok,
          trials: 1,
        };
      };
      let result = await trial(`${step}a`);
      if (!result.ok) {
        await sleep(retryPauseMs);
        const again = await trial(`${step}b`);
        result = { ...(again.ok || again.delivery.p99 < result.delivery.p99 ? again : result), trials: 2 };
      }
      steps.push(result);
      if (!result.ok) break;
    }
  } finally {
    await beforeClose?.().catch(() => undefined);
    await load.closeClients().catch(() => undefined);
  }
  const passed = steps.filter((s, i) => s.ok && steps.slice(0, i).every((earlier) => earlier.ok));
  return {
    quietJoins: quiet!,
    burstJoins: burst!,
    steps,
    saturation: passed.at(-1)?.offeredPerSecond ?? 0,
    beyondSweep: passed.length === plan.length,
  };
}

async function postJson<T>(path: string, apiKey: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${workerUrl}${path}`, {
    method: "POST",
    ...(signal ? { signal } : {}),
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "n/a");
const stepRow = (s: StepResult) =>
  `    ${String(s.clients).padStart(3)} × ${String(s.ratePerClient).padEnd(4)}/s offered ${String(s.offeredPerSecond).padStart(6)}/s  delivered ${s.delivery.perSecond.toFixed(0).padStart(6)}/s ` +
  `${((s.delivery.count / s.expected) * 100).toFixed(1).padStart(6)}%  p50 ${ms(s.delivery.p50)}  p99 ${ms(s.delivery.p99)}  refused ${s.refusals}  ${s.ok ? "ok" : "SATURATED"}${s.trials > 1 ? " (better of 2 trials)" : ""}`;

export async function benchRoomFanout(options: FanoutOptions = defaultFanoutOptions): Promise<void> {
  const secrets = await loadOrCreateSecrets();
  const tenant = await provisionTenant(databaseUrl(secrets), "bench room fan-out");
  /** The Worker's default `JOIN_TOKEN_ISSUER` (workers/env.ts); local .dev.vars leaves it unset. */
  const issuer = workerVars(secrets).JOIN_TOKEN_ISSUER ?? "edge-meetings";
  const seats = Math.max(options.clients, ...options.steps.map((step) => step.clients)) + options.quietJoins;

  /** A fresh meeting and tokens per run of ours: ending the meeting is how a run closes every socket at once. */
  const ourMeeting = async () => {
    const meeting = await postJson<{ id: string }>("/v1/meetings", tenant.apiKey, { title: "bench fan-out", maxParticipants: seats });
    const tokens: { token: string; connectUrl: string }[] = [];
    await runBounded(seats, 16, async (i) => {
      tokens[i] = await postJson(`/v1/meetings/${meeting.id}/tokens`, tenant.apiKey, {
        identity: `bench-${i}`,
        role: "participant",
        ttlSeconds: 900,
      });
    });
    // Bounded, because the end request queues behind any chat frames the room has not handled yet.
    const end = () => postJson(`/v1/meetings/${meeting.id}/end`, tenant.apiKey, {}, AbortSignal.timeout(3000)).then(() => undefined);
    return { tokens, end };
  };

  const results: Array<{ system: string; deflate: boolean; result: SweepResult }> = [];
  // The threads first: a bad thread count fails before the ceiling's workerd is running.
  const load = LoadShards.start(options.loadThreads);
  const ceiling = await startFanoutCeiling().catch(async (error: unknown) => {
    await load.stop();
    throw error;
  });
  try {
    for (const deflate of [true, false]) {
      // The baseline runs first: a room that fell behind keeps working through its queue after its run.
      const baseline = await startSocketIoBaseline({
        signingKeys: JSON.stringify(secrets.joinTokenSigningKeys),
        issuer,
        redisHost: host,
        redisPort: ports.redis,
      });
      try {
        const { tokens } = await ourMeeting();
        results.push({
          system: "Socket.IO + Redis adapter",
          deflate,
          result: await sweep(load, (i) => ({ kind: "socketio", url: baseline.url, token: tokens[i]!.token }), options),
        });
      } finally {
        await baseline.stop();
      }
      const room = `run-${Date.now()}-${deflate}`;
      results.push({
        system: "minimal DO (runtime ceiling)",
        deflate,
        result: await sweep(load, () => ({ kind: "ws", url: ceiling.url(room), deflate, protocol: "ceiling" }), options),
      });
      const ours = await ourMeeting();
      results.push({
        system: "ours: MeetingRoom DO",
        deflate,
        result: await sweep(load, (i) => ({ kind: "ws", url: ours.tokens[i]!.connectUrl, deflate, protocol: "ours" }), options, ours.end),
      });
    }
  } finally {
    await load.stop();
    await ceiling.stop();
  }

  const { clients, measureSeconds, warmupSeconds, steps } = options;
  console.log(
    `\nChat fan-out in one meeting: WebSocket clients on loopback, swept over ${steps.map((step) => `${step.clients} × ${step.ratePerClient}/s`).join(", ")}` +
      ` (${warmupSeconds} s warm-up, ${measureSeconds} s measured each); saturation = highest offered deliveries/s with p99 < ${p99LimitMs} ms and none lost` +
      ` (a failing step is measured once more, the better trial counts, for every system).` +
      ` The load generator shares the 2 cores.`,
  );
  for (const { system, deflate, result } of results) {
    console.log(
      `${system} (clients ${deflate ? "offer permessage-deflate" : "offer no compression"}): saturation ${result.beyondSweep ? "≥ " : ""}${result.saturation}/s${result.beyondSweep ? " (every step passed)" : ""};` +
        ` join quiet p50 ${ms(result.quietJoins.p50)} p95 ${ms(result.quietJoins.p95)}; burst (${options.joinConcurrency} at a time) p50 ${ms(result.burstJoins.p50)} p95 ${ms(result.burstJoins.p95)}`,
    );
    for (const step of result.steps) console.log(stepRow(step));
  }
  for (const deflate of [true, false]) {
    const of = (system: string) => results.find((r) => r.deflate === deflate && r.system.startsWith(system))!.result;
    const [ours, base, ceilingResult] = [of("ours"), of("Socket.IO"), of("minimal DO")];
    const at1 = ours.steps.find((s) => s.clients === clients && s.ratePerClient === 1);
    console.log(
      `ratios, clients ${deflate ? "offering deflate" : "without compression"}: saturation ours/Socket.IO ${ours.beyondSweep ? "≥ " : ""}${ratio(ours.saturation, base.saturation)} (target ≥ 2),` +
        ` ours/minimal DO ${ours.beyondSweep ? "≥ " : ""}${ratio(ours.saturation, ceilingResult.saturation)} (target ≥ 0.8);` +
        ` join ours/Socket.IO quiet p50 ${ratio(ours.quietJoins.p50, base.quietJoins.p50)} (≤ 1.5) p95 ${ratio(ours.quietJoins.p95, base.quietJoins.p95)} (≤ 2),` +
        ` burst p50 ${ratio(ours.burstJoins.p50, base.burstJoins.p50)} p95 ${ratio(ours.burstJoins.p95, base.burstJoins.p95)};` +
        ` ours at ${clients} × 1 msg/s: ${at1 ? `p99 ${ms(at1.delivery.p99)}, lost ${at1.expected - at1.delivery.count}` : "not reached"}`,
    );
  }
}
