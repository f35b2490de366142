import crypto from "node:crypto";
import { dispose } from "@livekit/rtc-node";
import { and, eq } from "drizzle-orm";
import { AccessToken } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLiveKitNodeClient } from "../../media-fleet/livekit/livekit-node-client.ts";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import type { MediaFleet } from "../../media-fleet/media-fleet.ts";
import { usageRecords } from "../../schema/index.ts";
import { loadOrCreateSecrets, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import type { ParticipantIdentity } from "../../protocol/ids.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase, workerUrl } from "../support/stack.ts";

// LiveKit (started by the test stack) posts its webhooks to the Worker's /v1/livekit/webhook.
let secrets: LocalSecrets;
let fleet: MediaFleet;
let tenant: { apiKey: string; tenantId: string };
let meetingId: string;
const cleanup: Array<() => Promise<unknown>> = [];

type MediaState = Extract<ServerFrame, { type: "media_state" }>;

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  fleet = createLiveKitNodeClient({ url: livekitUrl, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret });
  tenant = await newTenant("livekit-webhook");
  meetingId = (await createMeeting(tenant.apiKey, { title: "SFU meeting" })).id;
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  await dispose();
});

/** Signs a body the way LiveKit does: an HS256 token by the API key, carrying the body's SHA-256. */
async function signed(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: "5m" });
  token.sha256 = crypto.createHash("sha256").update(body).digest("base64");
  return token.toJwt();
}

function eventBody(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: "room_started",
    id: `EV_${crypto.randomUUID()}`,
    createdAt: String(Math.floor(Date.now() / 1000)),
    room: { name: meetingMediaRoom(tenant.tenantId, meetingId), sid: "RM_test" },
    ...overrides,
  });
}

async function post(body: string, authorization?: string): Promise<Response> {
  return fetch(`${workerUrl}/v1/livekit/webhook`, {
    method: "POST",
    headers: { "content-type": "application/webhook+json", ...(authorization ? { authorization } : {}) },
    body,
  });
}

describe("LiveKit webhooks", () => {
  it("real events from the node reach the meeting room, and a participant leaving the SFU is billed once", async () => {
    const { connectUrl } = await mintToken(tenant.apiKey, meetingId, { identity: "host", role: "host" });
    const host = await RoomClient.join(connectUrl);
    cleanup.push(async () => host.close());

    const room = meetingMediaRoom(tenant.tenantId, meetingId);
    await fleet.createRoom(room, { emptyTimeoutSeconds: 30, maxParticipants: 10, metadata: "{}" });
    cleanup.push(() => fleet.closeRoom(room));
    const access = await fleet.mintAccessToken({
      room,
      identity: "ana" as ParticipantIdentity,
      name: "Ana",
      role: "host",
      policy: { guestsCanPublish: true },
    });
    const ana = await LiveKitBot.connect(access.url, access.token, { subscribe: false });
    await ana.publishAudio();
    await ana.publishVideo({ width: 160, height: 120, fps: 10 });

    const sources = (f: ServerFrame) => (f.type === "media_state" ? (f.onSfu["ana"] ?? null) : null);
    const published = await host.next<MediaState>((f) => sources(f)?.length === 2, 15_000);
    expect(published.onSfu["ana"]).toEqual(["CAMERA", "MICROPHONE"]);
    expect(published.sfuActive).toBe(true);

    await ana.disconnect();
    await host.next<MediaState>((f) => f.type === "media_state" && !("ana" in f.onSfu), 15_000);
    const usage = async () =>
      withDatabase((db) =>
        db
          .select()
          .from(usageRecords)
          .where(
            and(
              eq(usageRecords.tenantId, tenant.tenantId),
              eq(usageRecords.meetingId, meetingId),
              eq(usageRecords.kind, "sfu_participant_seconds"),
            ),
          ),
      );
    let rows = await usage();
    for (const deadline = Date.now() + 10_000; rows.length === 0 && Date.now() < deadline; rows = await usage())
      await new Promise((r) => setTimeout(r, 200));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sourceId).toMatch(/^livekit:RM_\w+:PA_\w+$/);
    expect(rows[0]!.quantity).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it("refuses a missing, forged or foreign-key signature, and a body that does not match its signature", async () => {
    const body = eventBody();
    const refusals = [
      await post(body),
      await post(body, "Bearer not-a-jwt"),
      await post(body, await signed(body, secrets.livekitApiKey, "wrong-secret-wrong-secret-wrong-secret")),
      await post(body, await signed(body, "APIunknownKey", secrets.livekitApiSecret)),
      await post(body.replace("room_started", "room_finished"), await signed(body, secrets.livekitApiKey, secrets.livekitApiSecret)),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: "invalid_webhook_signature" });
    }
  });

  it("refuses a stale event and a replay, and acknowledges events about rooms that are not meetings", async () => {
    const sign = (body: string) => signed(body, secrets.livekitApiKey, secrets.livekitApiSecret);
    const stale = eventBody({ createdAt: String(Math.floor(Date.now() / 1000) - 3600) });
    const staleResponse = await post(stale, await sign(stale));
    expect(staleResponse.status).toBe(400);
    expect(await staleResponse.json()).toMatchObject({ code: "webhook_stale" });

    const fresh = eventBody({ event: "room_finished" });
    const first = await post(fresh, await sign(fresh));
    expect(first.status).toBe(200);
    const replay = await post(fresh, await sign(fresh));
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ code: "webhook_replayed" });

    const elsewhere = eventBody({ room: { name: "someone-elses-room", sid: "RM_x" } });
    const ignored = await post(elsewhere, await sign(elsewhere));
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ ignored: "not_ours" });

    // Shaped like a meeting room, but another tenant's id with this meeting: nothing happens to either.
    const other = await newTenant("livekit-webhook-other");
    const spoof = eventBody({ room: { name: meetingMediaRoom(other.tenantId, meetingId), sid: "RM_y" } });
    const spoofed = await post(spoof, await sign(spoof));
    expect(await spoofed.json()).toMatchObject({ ignored: "unknown_meeting" });
  });

  it("is not reachable with a tenant API key instead of LiveKit's signature", async () => {
    const response = await api("/v1/livekit/webhook", { key: tenant.apiKey, body: JSON.parse(eventBody()) });
    expect(response.status).toBe(401);
  });
});
