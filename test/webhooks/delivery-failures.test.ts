import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { localWebhookRetrySchedule } from "../../scripts/lib/local-config.ts";
import { poll } from "../support/poll.ts";
import { api, createMeeting, newTenant } from "../support/stack.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, deliveries, endedMeeting, meetingWithThreeFacts, pause } from "./support.ts";

const receivers: WebhookReceiver[] = [];
async function receiver(path?: string): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(path);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe("webhook deliveries when the receiver misbehaves", () => {
  it("a failing receiver is retried on the schedule; a meeting's later facts wait behind the one failing, and the log shows every attempt", async () => {
    const { apiKey } = await newTenant("retry order");
    const hook = await receiver();
    let failures = 0;
    hook.answer = (r) =>
      JSON.parse(r.body).type === "meeting.started" && failures++ < 2 ? { status: 500, body: "database down" } : { status: 204 };
    const endpoint = await createEndpoint(apiKey, { url: hook.url });
    const meetingId = await meetingWithThreeFacts(apiKey, "retried");

    const got = await poll(
      async () => hook.events(),
      (events) => events.filter((e) => e.type === "participant.left").length > 0,
      15_000,
    );
    hook.verifyAll(endpoint.signingSecret);
    // Three tries of meeting.started (same webhook-id each time) before anything else of the meeting.
    expect(got.map((e) => e.type)).toEqual([
      "meeting.started",
      "meeting.started",
      "meeting.started",
      "participant.joined",
      "participant.joined",
      "participant.left",
    ]);
    expect(new Set(hook.received.slice(0, 3).map((r) => r.headers["webhook-id"])).size).toBe(1);
    // The schedule's waits (1 s then 1 s locally), jitter only ever later.
    expect(hook.received[1]!.receivedAt - hook.received[0]!.receivedAt).toBeGreaterThanOrEqual(localWebhookRetrySchedule[1]! * 1000 - 50);

    const log = await poll(
      async () => deliveries(apiKey, { meetingId, eventType: "meeting.started" }),
      (rows) => rows[0]?.status === "delivered",
      5_000,
    );
    expect(log).toHaveLength(1);
    expect(log[0]!.attemptLog.map((a) => [a.attempt, a.statusCode, a.responseSnippet])).toEqual([
      [3, 204, null],
      [2, 500, "database down"],
      [1, 500, "database down"],
    ]);
    expect(log[0]!.attemptLog[1]!.error).toBe("http_500");
  });

  it("3xx is a failure and is never followed; a response that is not HTTP is a failure too", async () => {
    const { apiKey } = await newTenant("redirects");
    const elsewhere = await receiver("/elsewhere");
    const hook = await receiver();
    hook.answer = () => ({ status: 307, headers: { location: elsewhere.url } });
    const endpoint = await createEndpoint(apiKey, { url: hook.url });
    const meetingId = await endedMeeting(apiKey, "redirected");
    const redirected = await poll(
      async () => deliveries(apiKey, { meetingId }),
      (rows) => (rows[0]?.attempts ?? 0) >= 2,
      10_000,
    );
    expect(redirected[0]!.status).toBe("failed");
    expect(redirected[0]!.attemptLog[0]).toMatchObject({ statusCode: 307, error: "redirect" });
    expect(elsewhere.received).toHaveLength(0);

    // Garbage instead of HTTP: the attempt fails without a status, and the delivery waits for the next.
    const garbage = net.createServer((socket) => socket.end("220 this is not http at all\r\n\r\n"));
    await new Promise<void>((resolve) => garbage.listen(0, "127.0.0.1", resolve));
    try {
      const port = (garbage.address() as AddressInfo).port;
      const moved = await api(`/v1/webhook-endpoints/${endpoint.id}`, {
        key: apiKey,
        method: "PATCH",
        body: { url: `http://127.0.0.1:${port}/x` },
      });
      expect(moved.status).toBe(200);
      const broken = await poll(
        async () => deliveries(apiKey, { meetingId }),
        (rows) => rows[0]?.attemptLog[0]?.error === "connection_failed",
        15_000,
      );
      expect(broken[0]!.attemptLog[0]!.statusCode).toBeNull();
    } finally {
      garbage.close();
    }
    // Pointed back at a working receiver, the same delivery goes through.
    hook.answer = () => ({ status: 200, body: "ok" });
    await api(`/v1/webhook-endpoints/${endpoint.id}`, { key: apiKey, method: "PATCH", body: { url: hook.url } });
    const delivered = await poll(
      async () => deliveries(apiKey, { meetingId }),
      (rows) => rows[0]?.status === "delivered",
      15_000,
    );
    expect(delivered[0]!.status).toBe("delivered");
  });

  it("Retry-After is honoured", async () => {
    const { apiKey } = await newTenant("retry after");
    const hook = await receiver();
    let calls = 0;
    hook.answer = () => (calls++ === 0 ? { status: 429, headers: { "retry-after": "3" } } : { status: 204 });
    await createEndpoint(apiKey, { url: hook.url });
    await endedMeeting(apiKey, "slow down");
    await poll(
      async () => hook.received.length,
      (n) => n >= 2,
      15_000,
    );
    expect(hook.received[1]!.receivedAt - hook.received[0]!.receivedAt).toBeGreaterThanOrEqual(2_950);
  });

  it("410 disables the endpoint at once and tells the tenant's other endpoints; enabling it again resumes its deliveries", async () => {
    const { apiKey } = await newTenant("gone");
    const goneHook = await receiver("/gone");
    goneHook.answer = () => ({ status: 410 });
    const watcher = await receiver("/watcher");
    const gone = await createEndpoint(apiKey, { url: goneHook.url });
    const watching = await createEndpoint(apiKey, { url: watcher.url, eventTypes: ["endpoint.disabled"] });
    await endedMeeting(apiKey, "to a gone endpoint");

    const notice = await poll(
      async () => watcher.events(),
      (events) => events.length > 0,
      10_000,
    );
    watcher.verifyAll(watching.signingSecret);
    expect(notice[0]).toMatchObject({ type: "endpoint.disabled", meetingId: null, data: { endpointId: gone.id, reason: "gone" } });
    const read = (await (await api(`/v1/webhook-endpoints/${gone.id}`, { key: apiKey })).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ enabled: false, disabledReason: "gone" });

    // Disabled: new events make no delivery for it, and nothing more is sent.
    await endedMeeting(apiKey, "while disabled");
    await pause(1_500);
    expect(goneHook.received).toHaveLength(1);
    expect(await deliveries(apiKey, { endpointId: gone.id })).toHaveLength(1);

    goneHook.answer = () => ({ status: 204 });
    const enabled = await api(`/v1/webhook-endpoints/${gone.id}`, { key: apiKey, method: "PATCH", body: { enabled: true } });
    expect(await enabled.json()).toMatchObject({ enabled: true, disabledReason: null });
    await poll(
      async () => goneHook.received.length,
      (n) => n >= 2,
      10_000,
    );
    // Attempts are written behind the send, so the receiver can see it a moment before the log does.
    const resumed = await poll(
      async () => deliveries(apiKey, { endpointId: gone.id }),
      (rows) => rows[0]?.status === "delivered",
      10_000,
    );
    expect(resumed[0]!.status).toBe("delivered");
  });

  it("an endpoint failing longer than its disable period is disabled with endpoint.disabled to the others", async () => {
    const { apiKey } = await newTenant("failing");
    const failing = await receiver("/failing");
    failing.answer = () => ({ status: 503 });
    const watcher = await receiver("/watcher");
    const endpoint = await createEndpoint(apiKey, { url: failing.url, disableAfterSeconds: 2 });
    await createEndpoint(apiKey, { url: watcher.url, eventTypes: ["endpoint.disabled"] });
    await endedMeeting(apiKey, "failing receiver");
    const notice = await poll(
      async () => watcher.events(),
      (events) => events.length > 0,
      15_000,
    );
    expect(notice[0]).toMatchObject({ type: "endpoint.disabled", data: { endpointId: endpoint.id, reason: "failing" } });
    const read = (await (await api(`/v1/webhook-endpoints/${endpoint.id}`, { key: apiKey })).json()) as { failingSince: string };
    expect(read).toMatchObject({ enabled: false, disabledReason: "failing" });
    expect(failing.received.length).toBeGreaterThanOrEqual(2);
  });

  it("a poison delivery is dead-lettered after the whole schedule without blocking its meeting's later facts; recover-since replays it", {
    timeout: 90_000,
  }, async () => {
    const { apiKey } = await newTenant("poison");
    const hook = await receiver();
    let poisonAccepted = false;
    hook.answer = (r) =>
      JSON.parse(r.body).type === "meeting.started" && !poisonAccepted ? { status: 400, body: "cannot parse" } : { status: 204 };
    const endpoint = await createEndpoint(apiKey, { url: hook.url, disableAfterSeconds: 3600 });
    const since = new Date().toISOString();
    const meetingId = await meetingWithThreeFacts(apiKey, "poison first");

    const dead = await poll(
      async () => deliveries(apiKey, { meetingId, status: "dead" }),
      (rows) => rows.length === 1,
      60_000,
    );
    expect(dead[0]).toMatchObject({ eventType: "meeting.started", attempts: localWebhookRetrySchedule.length });
    // Counted where an operator looks.
    const health = (await (await api("/healthz")).json()) as { webhooks: { deadDeliveries: number } };
    expect(health.webhooks.deadDeliveries).toBeGreaterThanOrEqual(1);
    // The lane went on once its head was dead.
    const rest = await poll(
      async () => hook.events().filter((e) => e.type !== "meeting.started"),
      (events) => events.length === 3,
      10_000,
    );
    expect(rest.map((e) => e.type)).toEqual(["participant.joined", "participant.joined", "participant.left"]);

    poisonAccepted = true;
    const recovered = await api(`/v1/webhook-endpoints/${endpoint.id}/recover`, { key: apiKey, body: { since } });
    expect(recovered.status).toBe(202);
    expect(await recovered.json()).toEqual({ replayed: 1 });
    // Asking again while the replay is queued or done replays nothing twice.
    await poll(
      async () => deliveries(apiKey, { meetingId, eventType: "meeting.started", status: "delivered" }),
      (rows) => rows.length === 1,
      10_000,
    );
    const replayed = await deliveries(apiKey, { meetingId, eventType: "meeting.started" });
    expect(replayed.find((d) => d.status === "delivered")!.replayOf).toBe(dead[0]!.id);
  });

  it("a receiver that hangs for one tenant does not delay another tenant's deliveries", { timeout: 40_000 }, async () => {
    const slow = await newTenant("hanging tenant");
    const fast = await newTenant("unaffected tenant");
    const hanging = await receiver("/hang");
    hanging.answer = () => "hang";
    const prompt = await receiver("/prompt");
    await createEndpoint(slow.apiKey, { url: hanging.url });
    await createEndpoint(fast.apiKey, { url: prompt.url });
    for (let i = 0; i < 3; i++) await endedMeeting(slow.apiKey, `stuck ${i}`);
    await poll(
      async () => hanging.received.length,
      (n) => n >= 3,
      5_000,
    );
    const hangStarted = hanging.received[0]!.receivedAt;
    const meetings = [];
    for (let i = 0; i < 3; i++) meetings.push(await endedMeeting(fast.apiKey, `flowing ${i}`));
    const got = await poll(
      async () => prompt.events(),
      (events) => events.length === 3,
      12_000,
    );
    expect(new Set(got.map((e) => e.meetingId))).toEqual(new Set(meetings));
    // Delivered while the other tenant's receiver was still hanging (its attempts end at the 15 s timeout).
    expect(Math.max(...prompt.received.map((r) => r.receivedAt))).toBeLessThan(hangStarted + 14_000);
    // The hanging attempts end at the 15 s response timeout, logged as such.
    const timedOut = await poll(
      async () => deliveries(slow.apiKey),
      (rows) => rows.every((d) => d.attemptLog[0]?.error === "timeout"),
      25_000,
    );
    expect(timedOut.map((d) => d.attemptLog.at(-1))).toEqual(
      timedOut.map(() => expect.objectContaining({ attempt: 1, error: "timeout", statusCode: null, latencyMs: expect.any(Number) })),
    );
    for (const d of timedOut) expect(d.attemptLog.at(-1)!.latencyMs).toBeGreaterThanOrEqual(14_000);
  });

  it("at one endpoint, a meeting whose deliveries hang does not hold up the endpoint's other meetings", { timeout: 30_000 }, async () => {
    const { apiKey } = await newTenant("one slow meeting");
    const hook = await receiver();
    let stuckMeeting = "";
    hook.answer = (r) => (JSON.parse(r.body).meetingId === stuckMeeting ? "hang" : { status: 204 });
    await createEndpoint(apiKey, { url: hook.url });
    const meeting = await createMeeting(apiKey, { title: "stuck" });
    stuckMeeting = meeting.id;
    await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" });
    await poll(
      async () => hook.received.length,
      (n) => n >= 1,
      5_000,
    );
    const hangStarted = hook.received[0]!.receivedAt;
    const others = [await endedMeeting(apiKey, "flows 1"), await endedMeeting(apiKey, "flows 2")];
    const got = await poll(
      async () => hook.events().filter((e) => others.includes(e.meetingId ?? "")),
      (events) => events.length === 2,
      12_000,
    );
    expect(got).toHaveLength(2);
    // Both arrived while the stuck meeting's delivery was still hanging (it ends at the 15 s timeout).
    const arrivals = hook.received.filter((r) => others.includes(JSON.parse(r.body).meetingId)).map((r) => r.receivedAt);
    expect(Math.max(...arrivals)).toBeLessThan(hangStarted + 14_000);
  });
});
