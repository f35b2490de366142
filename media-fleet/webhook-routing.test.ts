import { describe, expect, it } from "vitest";
import { meetingMediaRoom, meetingOfMediaRoom } from "./meeting-media-room.ts";
import { maxWebhookAgeMs, routeWebhook, type LiveKitWebhook } from "./webhook-routing.ts";

const tenantId = "0b0c5f0e-3d0a-4c1e-9a49-9d7f1f2b3c4d";
const meetingId = "7e1f4a2b-9c3d-4e5f-8a6b-1c2d3e4f5a6b";
const now = Date.parse("2026-11-24T12:00:00Z");
const room = { name: meetingMediaRoom(tenantId, meetingId), sid: "RM_1" };
const event = (overrides: Partial<LiveKitWebhook>): LiveKitWebhook => ({
  id: "EV_1",
  event: "room_started",
  createdAt: now / 1000 - 1,
  room,
  ...overrides,
});

describe("meeting media room names", () => {
  it("round-trip, and anything else on the fleet is not a meeting", () => {
    expect(meetingOfMediaRoom(room.name)).toEqual({ tenantId, meetingId });
    for (const name of ["test-room", `${tenantId}:${meetingId}:x`, `${tenantId}:nope`, `:${meetingId}`, ""])
      expect(meetingOfMediaRoom(name)).toBeUndefined();
  });
});

describe("routeWebhook", () => {
  it("room start and finish tell the meeting whether its SFU room is up", () => {
    expect(routeWebhook(event({}), now)).toMatchObject({
      ok: true,
      tenantId,
      meetingId,
      roomEvent: { kind: "sfu_room", active: true },
      usage: null,
    });
    expect(routeWebhook(event({ event: "room_finished" }), now)).toMatchObject({
      ok: true,
      roomEvent: { kind: "sfu_room", active: false },
    });
  });

  it("a participant leaving bills its seconds on the SFU once, keyed by its session", () => {
    const participant = { identity: "ana", sid: "PA_9", joinedAt: now / 1000 - 301 };
    const routed = routeWebhook(event({ event: "participant_left", participant }), now);
    expect(routed).toMatchObject({
      ok: true,
      roomEvent: { kind: "sfu_participant", identity: "ana", connected: false },
      usage: { kind: "sfu_participant_seconds", quantity: 300, sourceId: "livekit:RM_1:PA_9" },
    });
    expect(routeWebhook(event({ event: "participant_connection_aborted", participant }), now)).toMatchObject({
      usage: { sourceId: "livekit:RM_1:PA_9" },
    });
    expect(routeWebhook(event({ event: "participant_joined", participant }), now)).toMatchObject({
      roomEvent: {
        connected: true,
        session: { roomSid: "RM_1", participantSid: "PA_9", joinedAt: new Date(participant.joinedAt * 1000).toISOString() },
      },
      usage: null,
    });
  });

  it("tracks and egress are routed with what the room needs", () => {
    const participant = { identity: "ana", sid: "PA_9", joinedAt: 0 };
    const track = { sid: "TR_1", source: "CAMERA", kind: "VIDEO" };
    expect(routeWebhook(event({ event: "track_published", participant, track }), now)).toMatchObject({
      roomEvent: { kind: "sfu_track", identity: "ana", trackSid: "TR_1", source: "CAMERA", published: true },
    });
    expect(routeWebhook(event({ event: "egress_ended", egress: { egressId: "EG_1", status: "EGRESS_COMPLETE" } }), now)).toMatchObject({
      roomEvent: { kind: "egress", egressId: "EG_1", status: "EGRESS_COMPLETE" },
    });
  });

  it("refuses stale and far-future events, and events missing what they are about", () => {
    expect(routeWebhook(event({ createdAt: (now - maxWebhookAgeMs - 1000) / 1000 }), now)).toMatchObject({ ok: false, code: "stale" });
    expect(routeWebhook(event({ createdAt: (now + 120_000) / 1000 }), now)).toMatchObject({ ok: false, code: "stale" });
    expect(routeWebhook(event({ createdAt: Number.NaN }), now)).toMatchObject({ ok: false, code: "stale" });
    expect(routeWebhook(event({ event: "participant_left" }), now)).toMatchObject({ ok: false, code: "incomplete" });
    expect(routeWebhook(event({ event: "track_published", participant: { identity: "a", sid: "p", joinedAt: 0 } }), now)).toMatchObject({
      ok: false,
      code: "incomplete",
    });
  });

  it("events about other rooms on the fleet are not ours, and unknown kinds are acknowledged without effect", () => {
    expect(routeWebhook(event({ room: { name: "test-fleet-123", sid: "RM_2" } }), now)).toMatchObject({ ok: false, code: "not_ours" });
    expect(routeWebhook(event({ room: undefined }), now)).toMatchObject({ ok: false, code: "not_ours" });
    expect(routeWebhook(event({ event: "ingress_started" }), now)).toMatchObject({ ok: true, roomEvent: null, usage: null });
  });
});
