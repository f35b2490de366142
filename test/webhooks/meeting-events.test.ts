import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import ical, { type VEvent } from "node-ical";
import { webhookEventData, type WebhookEventType } from "../../workers/webhooks/core/event-catalog.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { eq } from "drizzle-orm";
import { webhookEndpoints } from "../../schema/index.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, pause } from "./support.ts";

let apiKey: string;
let receiver: WebhookReceiver;
let secret: string;

beforeAll(async () => {
  ({ apiKey } = await newTenant("webhook events"));
  receiver = await WebhookReceiver.start();
  ({ signingSecret: secret } = await createEndpoint(apiKey, { url: receiver.url, description: "integration" }));
});

afterAll(() => receiver.close());

const ofMeeting = (meetingId: string) => receiver.events().filter((e) => e.meetingId === meetingId);

describe("webhook events from a real meeting", () => {
  it("a meeting's life reaches the receiver signed, schema-valid and in the order it happened", async () => {
    const meeting = await createMeeting(apiKey, { title: "events" });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const bob = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "bob", role: "guest" })).connectUrl);
    bob.close();
    await alice.next((f) => f.type === "participant_left" && f.identity === "bob");
    const ended = await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" });
    expect(ended.status).toBe(200);

    const events = await poll(
      async () => ofMeeting(meeting.id),
      (got) => got.some((e) => e.type === "meeting.ended"),
      15_000,
    );
    receiver.verifyAll(secret);
    expect(events.map((e) => `${e.type}${e.data.identity ? `:${e.data.identity}` : ""}`)).toEqual([
      "meeting.started",
      "participant.joined:alice",
      "participant.joined:bob",
      "participant.left:bob",
      "participant.left:alice",
      "meeting.ended",
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ version: 1, meetingId: meeting.id });
      webhookEventData[event.type as WebhookEventType].parse(event.data);
    }
    const left = events.find((e) => e.type === "participant.left" && e.data.identity === "bob")!;
    expect(left.data).toMatchObject({ reason: "left" });
    expect(left.data.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(events.find((e) => e.type === "participant.left" && e.data.identity === "alice")!.data).toMatchObject({ reason: "ended" });
    // webhook-id is the event id, the same on every attempt.
    for (const r of receiver.received) expect(r.headers["webhook-id"]).toBe(JSON.parse(r.body).id);
  });

  it("a scheduled meeting's invite reaches the receiver when scheduled, at each change attendees must take, and cancelled when deleted", async () => {
    const schedule = {
      title: "Planning",
      scheduledStartAt: "2027-03-26T09:00:00Z",
      scheduledEndAt: "2027-03-26T10:00:00Z",
      timeZone: "Europe/Berlin",
      recurrenceRule: "FREQ=WEEKLY;COUNT=3",
      attendees: [{ email: "ana@example.test", name: "Ana" }],
    };
    const meeting = await createMeeting(apiKey, schedule);
    const patch = (body: unknown) => api(`/v1/meetings/${meeting.id}`, { key: apiKey, method: "PATCH", body });
    // Capacity is not in the invite: no new version.
    expect((await patch({ maxParticipants: 20 })).status).toBe(200);
    // Two edits at once: each lands on top of the other, as its own version.
    const edits = await Promise.all([patch({ title: "Planning (moved)" }), patch({ attendees: [{ email: "bo@example.test" }] })]);
    expect(edits.map((r) => r.status)).toEqual([200, 200]);
    expect((await api(`/v1/meetings/${meeting.id}`, { key: apiKey, method: "DELETE" })).status).toBe(204);

    const invites = await poll(
      async () => ofMeeting(meeting.id).filter((e) => e.type === "meeting.invite"),
      (got) => got.length === 4,
      15_000,
    );
    receiver.verifyAll(secret);
    for (const event of invites) webhookEventData["meeting.invite"].parse(event.data);
    expect(invites.map((e) => [e.data.method, e.data.sequence])).toEqual([
      ["REQUEST", 0],
      ["REQUEST", 1],
      ["REQUEST", 2],
      ["CANCEL", 3],
    ]);
    // The last REQUEST carries both edits; the invite itself is the same document invite.ics serves.
    expect(invites[2]!.data).toMatchObject({ title: "Planning (moved)", attendees: [{ email: "bo@example.test" }] });
    for (const event of invites) {
      const [vevent] = Object.values(ical.sync.parseICS(String(event.data.ics))).filter((c) => c?.type === "VEVENT") as VEvent[];
      expect(vevent!.uid).toBe(`${meeting.id}@edge-meetings`);
      expect(Number(vevent!.sequence)).toBe(event.data.sequence);
      expect(String(event.data.ics)).toContain(`METHOD:${event.data.method}`);
      expect(new Date(vevent!.start).toISOString()).toBe("2027-03-26T09:00:00.000Z");
    }
    expect(invites[0]!.data).toMatchObject({
      uid: `${meeting.id}@edge-meetings`,
      timeZone: "Europe/Berlin",
      joinUrl: expect.stringContaining(`#meeting=${meeting.id}`),
    });
    // Deleting a meeting nobody joined also ends it, reported once.
    expect(
      ofMeeting(meeting.id)
        .filter((e) => e.type === "meeting.ended")
        .map((e) => e.data.reason),
    ).toEqual(["deleted"]);
  });

  it("taking a meeting's schedule away cancels its invite; a replayed create sends none again", async () => {
    const body = { title: "Review", scheduledStartAt: "2027-01-12T15:00:00Z", attendees: [{ email: "cy@example.test" }] };
    const key = crypto.randomUUID();
    const create = () => api("/v1/meetings", { key: apiKey, body, headers: { "idempotency-key": key } });
    const first = await create();
    expect(first.status).toBe(201);
    const meeting = (await first.json()) as { id: string };
    expect((await create()).status).toBe(200);
    const unscheduled = await api(`/v1/meetings/${meeting.id}`, {
      key: apiKey,
      method: "PATCH",
      body: { scheduledStartAt: null, scheduledEndAt: null },
    });
    expect(unscheduled.status).toBe(200);
    const invites = await poll(
      async () => ofMeeting(meeting.id).filter((e) => e.type === "meeting.invite"),
      (got) => got.length >= 2,
      10_000,
    );
    await pause(500);
    expect(ofMeeting(meeting.id).map((e) => [e.type, e.data.method, e.data.sequence])).toEqual([
      ["meeting.invite", "REQUEST", 0],
      ["meeting.invite", "CANCEL", 1],
    ]);
    expect(invites[1]!.data).toMatchObject({ startsAt: "2027-01-12T15:00:00.000Z", endsAt: "2027-01-12T16:00:00.000Z" });
  });

  it("a meeting with no schedule sends no invite", async () => {
    const meeting = await createMeeting(apiKey, { title: "ad hoc" });
    expect((await api(`/v1/meetings/${meeting.id}`, { key: apiKey, method: "PATCH", body: { title: "ad hoc, renamed" } })).status).toBe(
      200,
    );
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" })).status).toBe(200);
    await poll(
      async () => ofMeeting(meeting.id),
      (got) => got.some((e) => e.type === "meeting.ended"),
      10_000,
    );
    expect(ofMeeting(meeting.id).map((e) => e.type)).toEqual(["meeting.ended"]);
  });

  it("a meeting ended before anyone joined is reported ended once, by the API", async () => {
    const meeting = await createMeeting(apiKey, { title: "never joined" });
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" })).status).toBe(200);
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" })).status).toBe(200);
    const events = await poll(
      async () => ofMeeting(meeting.id),
      (got) => got.length > 0,
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(ofMeeting(meeting.id).map((e) => [e.type, e.data.reason])).toEqual([["meeting.ended", "api"]]);
    expect(events[0]!.id).toBeTruthy();
  });

  it("waiting-room decisions are reported, and chat only to the endpoint that opted in", async () => {
    const chatReceiver = await WebhookReceiver.start("/chat");
    try {
      const chatEndpoint = await createEndpoint(apiKey, { url: chatReceiver.url, eventTypes: ["chat.message", "participant.admitted"] });
      const meeting = await createMeeting(apiKey, { title: "lobby", waitingRoom: true });
      const host = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "host", role: "host" })).connectUrl);
      const guest = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "guest", role: "guest" })).connectUrl);
      const intruder = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "intruder", role: "guest" })).connectUrl);
      host.send({ type: "admit", target: "guest" });
      host.send({ type: "deny", target: "intruder" });
      await guest.next((f) => f.type === "welcome");
      host.send({ type: "chat_send", clientMessageId: "lobby-chat-1", body: "hello hooks", attachments: [] });
      await host.next((f) => f.type === "chat_message");

      const all = await poll(
        async () => ofMeeting(meeting.id),
        (got) => got.some((e) => e.type === "participant.denied") && got.some((e) => e.type === "participant.admitted"),
        15_000,
      );
      expect(all.find((e) => e.type === "participant.admitted")!.data).toMatchObject({ identity: "guest", by: "host" });
      expect(all.find((e) => e.type === "participant.denied")!.data).toMatchObject({ identity: "intruder", by: "host" });
      const chat = await poll(
        async () => chatReceiver.events(),
        (got) => got.some((e) => e.type === "chat.message"),
        15_000,
      );
      chatReceiver.verifyAll(chatEndpoint.signingSecret);
      expect(chat.find((e) => e.type === "chat.message")!.data).toMatchObject({ sender: "host", body: "hello hooks" });
      // Only the types it listed: no joins, no denials.
      expect(new Set(chatReceiver.events().map((e) => e.type))).toEqual(new Set(["chat.message", "participant.admitted"]));
      // The endpoint with no filter gets everything but the opt-in chat.
      expect(receiver.events().some((e) => e.type === "chat.message")).toBe(false);
      intruder.close();
    } finally {
      await chatReceiver.close();
    }
  });

  it("a rotated secret signs beside the old one during the overlap, so receivers holding either verify", async () => {
    const rotatingReceiver = await WebhookReceiver.start("/rotating");
    try {
      const endpoint = await createEndpoint(apiKey, { url: rotatingReceiver.url });
      const rotated = await api(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { key: apiKey, body: { overlapSeconds: 3600 } });
      expect(rotated.status).toBe(200);
      const { signingSecret: newSecret, previousSecretExpiresAt } = (await rotated.json()) as {
        signingSecret: string;
        previousSecretExpiresAt: string;
      };
      expect(newSecret).not.toBe(endpoint.signingSecret);
      expect(Date.parse(previousSecretExpiresAt)).toBeGreaterThan(Date.now());
      const meeting = await createMeeting(apiKey, { title: "rotation" });
      await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" });
      await poll(
        async () => rotatingReceiver.received,
        (got) => got.length > 0,
        10_000,
      );
      const [delivery] = rotatingReceiver.received;
      expect(delivery!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      rotatingReceiver.verifyAll(endpoint.signingSecret);
      rotatingReceiver.verifyAll(newSecret);
      expect(() => new Webhook(`whsec_${btoa("not the secret at all, 32 bytes!")}`).verify(delivery!.body, delivery!.headers)).toThrow();

      // At rest both secrets are sealed (AES-GCM, bound to the endpoint): a database read yields nothing that signs.
      const [stored] = await withDatabase((db) =>
        db
          .select({ current: webhookEndpoints.signingSecret, previous: webhookEndpoints.previousSigningSecret })
          .from(webhookEndpoints)
          .where(eq(webhookEndpoints.id, endpoint.id)),
      );
      for (const column of [stored!.current, stored!.previous!]) {
        expect(column).toMatch(/^v1\./);
        expect(column).not.toContain(newSecret.slice(6));
        expect(column).not.toContain(endpoint.signingSecret.slice(6));
      }
      // The secret is shown once: never in reads.
      const read = await (await api(`/v1/webhook-endpoints/${endpoint.id}`, { key: apiKey })).text();
      expect(read).not.toContain(newSecret.slice(6, 20));
      expect(read).not.toContain("signingSecret");
    } finally {
      await rotatingReceiver.close();
    }
  });

  it("the OpenAPI document publishes every event's schema under webhooks, and the webhook routes", async () => {
    const doc = (await (await api("/v1/openapi.json")).json()) as {
      openapi: string;
      webhooks: Record<string, { post: { requestBody: unknown } }>;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.webhooks).sort()).toEqual(Object.keys(webhookEventData).sort());
    expect(JSON.stringify(doc.webhooks["participant.left"]!.post.requestBody)).toContain("WebhookEvent_participant_left");
    expect(JSON.stringify(doc.components.schemas.WebhookEvent_participant_left)).toContain("durationSeconds");
    for (const path of ["/v1/webhook-endpoints", "/v1/webhook-endpoints/{id}/rotate-secret", "/v1/webhook-deliveries/{id}/replay"]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });
});
