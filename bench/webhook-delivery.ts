import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { Webhook } from "standardwebhooks";
import * as schema from "../schema/index.ts";
import { databaseUrl, loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { createNodePool } from "../scripts/lib/neon-node.ts";
import { scheduledUrl, workerUrl } from "../scripts/services/worker.ts";
import type { WebhookFact } from "../workers/webhooks/core/event-catalog.ts";
import { recordWebhookEvents } from "../workers/webhooks/record-event.ts";
import { runBounded, summarize } from "./latency-stats.ts";

interface Received {
  id: string;
  meetingId: string;
  at: number;
}

/** A tenant's receiver that does a little work per event (`workMs`), as real ones do, and records what arrived. */
async function startReceiver(workMs: number) {
  const received: Received[] = [];
  const concurrency = { now: 0, max: 0 };
  const server = http.createServer((request, response) => {
    concurrency.now++;
    concurrency.max = Math.max(concurrency.max, concurrency.now);
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const event = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; meetingId: string };
      received.push({ id: event.id, meetingId: event.meetingId, at: Date.now() });
      setTimeout(() => {
        concurrency.now--;
        response.writeHead(204).end();
      }, workMs);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, received, concurrency, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const facts = (tenantId: string, meetings: string[], perMeeting: number, tag: string): WebhookFact[][] =>
  Array.from({ length: perMeeting }, (_, round) =>
    meetings.map(
      (meetingId): WebhookFact => ({
        type: "participant.joined",
        data: { identity: `${tag}-${round}`, name: null, role: "participant", joinedAt: new Date().toISOString() },
        tenantId,
        meetingId,
        sourceKey: `bench:${tag}:${meetingId}:${round}`,
        occurredAt: new Date(),
      }),
    ),
  );

/** Wakes the endpoint's dispatcher the way the cron does (a real poke needs the Durable Object binding). */
const sweep = () => fetch(scheduledUrl("* * * * *")).then((r) => r.arrayBuffer());

const until = async (done: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return done();
};

/** Whether every meeting's events were first received in the order they were recorded. */
function inOrder(received: Received[], recordedOrder: Map<string, string[]>): boolean {
  for (const [meetingId, ids] of recordedOrder) {
    const seen = [...new Set(received.filter((r) => r.meetingId === meetingId).map((r) => r.id))];
    if (seen.join() !== ids.join()) return false;
  }
  return true;
}

/**
 * Webhook deliveries through the real path (events recorded with the product's recordWebhookEvents, the endpoint's
 * dispatcher Durable Object in workerd, signed POSTs to a loopback receiver that takes `workMs` per event) against
 * sequential sending (sign, POST, await, next) to the same receiver from Node, in the same run. Then the latency
 * from a fact to its delivery at a steady offered rate, through the API's own write path (meeting ends).
 */
export async function benchWebhookDelivery(
  options = { meetings: 100, perMeeting: 20, workMs: 20, sequential: 150, steadyPerSecond: 20, steadySeconds: 5 },
) {
  const url = databaseUrl(await loadOrCreateSecrets());
  const tenant = await provisionTenant(url, "bench webhooks");
  const receiver = await startReceiver(options.workMs);
  const pool = createNodePool(url);
  const db = drizzle(pool, { schema });
  try {
    const created = await fetch(`${workerUrl}/v1/webhook-endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: receiver.url }),
    });
    if (created.status !== 201) throw new Error(`endpoint create answered ${created.status}`);
    const { signingSecret } = (await created.json()) as { signingSecret: string };
    const meetings = Array.from({ length: options.meetings }, () => crypto.randomUUID());

    // Baseline: one at a time, signed the same way, to the same receiver.
    const signer = new Webhook(signingSecret);
    const body = (i: number) =>
      JSON.stringify({ id: `seq-${i}`, type: "participant.joined", meetingId: meetings[i % meetings.length], data: {} });
    const sequentialStart = performance.now();
    for (let i = 0; i < options.sequential; i++) {
      const payload = body(i);
      const at = new Date();
      const response = await fetch(receiver.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": `seq-${i}`,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": signer.sign(`seq-${i}`, at, payload),
        },
        body: payload,
      });
      await response.arrayBuffer();
    }
    const sequentialRate = (options.sequential / (performance.now() - sequentialStart)) * 1000;
    receiver.received.length = 0;

    // Ours: a backlog across many meetings, recorded as the product records it, then one wake-up.
    const backlog = facts(tenant.tenantId, meetings, options.perMeeting, "backlog");
    for (const batch of backlog) await recordWebhookEvents(db, batch);
    const total = options.meetings * options.perMeeting;
    const recorded = await db
      .select({ id: schema.webhookEvents.id, meetingId: schema.webhookEvents.meetingId })
      .from(schema.webhookEvents)
      .where(eq(schema.webhookEvents.tenantId, tenant.tenantId))
      .orderBy(schema.webhookEvents.seq);
    const order = new Map<string, string[]>();
    for (const r of recorded) order.set(r.meetingId!, [...(order.get(r.meetingId!) ?? []), r.id]);
    receiver.concurrency.max = 0;
    const started = performance.now();
    await sweep();
    const complete = await until(() => new Set(receiver.received.map((r) => r.id)).size >= total, 120_000);
    const oursRate = (new Set(receiver.received.map((r) => r.id)).size / (performance.now() - started)) * 1000;
    const ordered = inOrder(receiver.received, order);

    // Steady state through the product's own write path: meetings ended through the API at an offered rate. Each end
    // commits meeting.ended with the meeting's row and pokes the dispatcher after the commit, as every writer does.
    receiver.received.length = 0;
    const steadyTotal = options.steadyPerSecond * options.steadySeconds;
    const api = (path: string, body?: unknown) =>
      fetch(`${workerUrl}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const toEnd: string[] = [];
    await runBounded(steadyTotal, 4, async () => {
      const response = await api("/v1/meetings", { title: "bench webhook" });
      toEnd.push(((await response.json()) as { id: string }).id);
    });
    const requestedAt = new Map<string, number>();
    const endLatencies: number[] = [];
    const ends: Promise<unknown>[] = [];
    for (let tick = 0; tick < options.steadySeconds * 10; tick++) {
      const tickStart = Date.now();
      for (const meetingId of toEnd.splice(0, options.steadyPerSecond / 10)) {
        requestedAt.set(meetingId, Date.now());
        const started = Date.now();
        ends.push(
          api(`/v1/meetings/${meetingId}/end`).then(async (r) => {
            await r.arrayBuffer();
            if (r.status === 200) endLatencies.push(Date.now() - started);
          }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tickStart))));
    }
    await Promise.all(ends);
    await until(() => receiver.received.length >= steadyTotal, 30_000);
    // From the end request (the fact commits inside it) to the event's arrival: an upper bound on commit → delivery.
    const latencies = receiver.received.map((r) => r.at - (requestedAt.get(r.meetingId) ?? r.at));
    const steady = summarize(latencies, options.steadySeconds * 1000);
    const endRequests = summarize(endLatencies, options.steadySeconds * 1000);

    console.log(
      `\nWebhook deliveries (${options.meetings} meetings × ${options.perMeeting} events, receiver takes ${options.workMs} ms each, loopback)`,
    );
    console.log(`  sequential sending (sign, POST, await; ${options.sequential} events): ${sequentialRate.toFixed(0)}/s`);
    console.log(
      `  ours (dispatcher Durable Object, lanes per meeting): ${oursRate.toFixed(0)}/s, ${complete ? "all" : "NOT all"} ${total} delivered, order per meeting ${ordered ? "kept" : "BROKEN"}, at most ${receiver.concurrency.max} requests in flight`,
    );
    console.log(`  ratio ours / sequential: ${(oursRate / sequentialRate).toFixed(1)}× (goal ≥ 10×)`);
    console.log(
      `  end request → meeting.ended delivered, ${options.steadyPerSecond} ends/s through the API for ${options.steadySeconds} s: p50 ${steady.p50} ms, p95 ${steady.p95} ms, p99 ${steady.p99} ms (${receiver.received.length}/${steadyTotal} delivered); the end requests themselves: p50 ${endRequests.p50} ms, p99 ${endRequests.p99} ms (${endLatencies.length} answered 200)`,
    );
  } finally {
    await receiver.close();
    await pool.end();
  }
}
