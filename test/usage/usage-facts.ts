import crypto from "node:crypto";
import { and, eq } from "drizzle-orm";
import { AccessToken } from "livekit-server-sdk";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import { participants, usageRecords } from "../../schema/index.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { poll } from "../support/poll.ts";
import { withDatabase, workerUrl } from "../support/stack.ts";

/**
 * Facts for the usage suites: LiveKit webhooks signed exactly as a node signs them (so they go through the real
 * route, replay guard and room), and the rows the product wrote, read straight from Postgres.
 */
export interface LiveKitFact {
  event: "participant_joined" | "participant_left" | "participant_connection_aborted" | "room_finished";
  tenantId: string;
  meetingId: string;
  roomSid: string;
  /** Unix seconds (LiveKit's resolution). */
  createdAt: number;
  participant?: { sid: string; identity: string; joinedAt: number };
}

export async function postLiveKitFact(fact: LiveKitFact): Promise<Response> {
  const secrets = await loadOrCreateSecrets();
  const body = JSON.stringify({
    event: fact.event,
    id: `EV_${crypto.randomUUID()}`,
    createdAt: String(fact.createdAt),
    room: { name: meetingMediaRoom(fact.tenantId, fact.meetingId), sid: fact.roomSid },
    ...(fact.participant
      ? { participant: { ...fact.participant, joinedAt: String(fact.participant.joinedAt), state: "ACTIVE", tracks: [] } }
      : {}),
  });
  const token = new AccessToken(secrets.livekitApiKey, secrets.livekitApiSecret, { ttl: "5m" });
  token.sha256 = crypto.createHash("sha256").update(body).digest("base64");
  return fetch(`${workerUrl}/v1/livekit/webhook`, {
    method: "POST",
    headers: { "content-type": "application/webhook+json", authorization: await token.toJwt() },
    body,
  });
}

export type UsageRow = typeof usageRecords.$inferSelect;

export const usageRowsOf = (tenantId: string, meetingId?: string) =>
  withDatabase((db) =>
    db
      .select()
      .from(usageRecords)
      .where(and(eq(usageRecords.tenantId, tenantId), ...(meetingId ? [eq(usageRecords.meetingId, meetingId)] : []))),
  );

/** Waits until `done` holds for the meeting's usage rows (the room writes through its outbox, asynchronously). */
export const usageRowsWhen = (tenantId: string, meetingId: string, done: (rows: UsageRow[]) => boolean, timeoutMs = 15_000) =>
  poll(() => usageRowsOf(tenantId, meetingId), done, timeoutMs);

export const participantRowsOf = (tenantId: string, meetingId: string) =>
  withDatabase((db) =>
    db
      .select()
      .from(participants)
      .where(and(eq(participants.tenantId, tenantId), eq(participants.meetingId, meetingId))),
  );

export const nowSeconds = () => Math.floor(Date.now() / 1000);
