import type { MediaRoomEvent, SfuSession } from "../protocol/media-events.ts";
import { meetingOfMediaRoom } from "./meeting-media-room.ts";

/**
 * What a verified LiveKit webhook means for us. Pure: the Worker verifies the signature, guards against
 * replays and carries out the result (forward to the meeting room, write usage).
 */

/** The fields we read of LiveKit's WebhookEvent (times are unix seconds, as LiveKit sends them). */
export interface LiveKitWebhook {
  id: string;
  event: string;
  createdAt: number;
  room?: { name: string; sid: string } | undefined;
  participant?: { identity: string; sid: string; joinedAt: number } | undefined;
  track?: { sid: string; source: string; kind: string } | undefined;
  egress?: { egressId: string; status: string } | undefined;
}

/** The usage record of an SFU session, keyed so the webhook and the room's own close-out can't both bill it. */
export function sfuSessionUsage(session: SfuSession, endedAtMs: number): UsageEntry {
  const joinedMs = Date.parse(session.joinedAt);
  return {
    kind: "sfu_participant_seconds",
    quantity: Math.max(0, Math.round((endedAtMs - joinedMs) / 1000)),
    sourceId: `livekit:${session.roomSid}:${session.participantSid}`,
    periodStart: new Date(Math.min(joinedMs, endedAtMs)).toISOString(),
    periodEnd: new Date(endedAtMs).toISOString(),
  };
}

export interface UsageEntry {
  kind: "sfu_participant_seconds";
  quantity: number;
  /** One record per participant session on the SFU, so a redelivered webhook bills nothing twice. */
  sourceId: string;
  periodStart: string;
  periodEnd: string;
}

export type WebhookRoute =
  | { ok: true; tenantId: string; meetingId: string; roomEvent: MediaRoomEvent | null; usage: UsageEntry | null }
  | { ok: false; code: "stale" | "not_ours" | "incomplete"; message: string };

/** Older than this, an event is refused: a captured request can't be replayed once its replay marker expired. */
export const maxWebhookAgeMs = 5 * 60_000;

export function routeWebhook(event: LiveKitWebhook, now: number): WebhookRoute {
  const createdAtMs = event.createdAt * 1000;
  if (!Number.isFinite(createdAtMs) || now - createdAtMs > maxWebhookAgeMs || createdAtMs - now > 60_000) {
    return { ok: false, code: "stale", message: `event created at ${event.createdAt} is outside the accepted window` };
  }
  const meeting = event.room ? meetingOfMediaRoom(event.room.name) : undefined;
  if (!meeting) return { ok: false, code: "not_ours", message: "the event is not about a meeting's media room" };
  const at = new Date(createdAtMs).toISOString();
  const routed = (roomEvent: MediaRoomEvent | null, usage: UsageEntry | null = null): WebhookRoute => ({
    ok: true,
    ...meeting,
    roomEvent,
    usage,
  });
  const incomplete = (what: string): WebhookRoute => ({ ok: false, code: "incomplete", message: `${event.event} without ${what}` });

  switch (event.event) {
    case "room_started":
    case "room_finished":
      return routed({ kind: "sfu_room", active: event.event === "room_started", at });
    case "participant_joined": {
      const participant = event.participant;
      if (!participant) return incomplete("participant");
      const joinedAt = new Date(participant.joinedAt > 0 ? participant.joinedAt * 1000 : createdAtMs).toISOString();
      const session: SfuSession = { roomSid: event.room!.sid, participantSid: participant.sid, joinedAt };
      return routed({ kind: "sfu_participant", identity: participant.identity, connected: true, at, session });
    }
    case "participant_left":
    case "participant_connection_aborted": {
      const participant = event.participant;
      if (!participant) return incomplete("participant");
      const joinedMs = participant.joinedAt > 0 ? participant.joinedAt * 1000 : createdAtMs;
      const session = { roomSid: event.room!.sid, participantSid: participant.sid, joinedAt: new Date(joinedMs).toISOString() };
      const usage = sfuSessionUsage(session, createdAtMs);
      return routed({ kind: "sfu_participant", identity: participant.identity, connected: false, at }, usage);
    }
    case "track_published":
    case "track_unpublished":
      if (!event.participant || !event.track) return incomplete("participant or track");
      return routed({
        kind: "sfu_track",
        identity: event.participant.identity,
        trackSid: event.track.sid,
        source: event.track.source,
        published: event.event === "track_published",
        at,
      });
    case "egress_started":
    case "egress_updated":
    case "egress_ended":
      if (!event.egress) return incomplete("egress info");
      return routed({ kind: "egress", egressId: event.egress.egressId, status: event.egress.status, at });
    default:
      // Ingress and future event types: acknowledged, nothing to do.
      return routed(null);
  }
}
