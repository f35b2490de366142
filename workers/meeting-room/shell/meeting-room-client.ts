import type { MeetingId, TenantId } from "../../../protocol/ids.ts";
import type { JoinTokenClaims } from "../../auth/join-token.ts";
import type { MediaRoomEvent } from "../../../media-fleet/webhook-routing.ts";

/**
 * How the Worker talks to a meeting's Durable Object. The object's name includes the tenant, so two
 * tenants can never reach the same room even with colliding meeting ids.
 */
export const roomName = (tenantId: TenantId, meetingId: MeetingId) => `${tenantId}:${meetingId}`;

export function meetingRoomStub(namespace: DurableObjectNamespace, tenantId: TenantId, meetingId: MeetingId) {
  return namespace.get(namespace.idFromName(roomName(tenantId, meetingId)));
}

/** Headers carrying the Worker-verified participant and the meeting's settings into the DO (not reachable from outside). */
export const verifiedParticipantHeader = "x-verified-participant";
export const meetingSettingsHeader = "x-meeting-settings";

export interface MeetingRoomSettings {
  title: string;
  /** Participants at which the meeting moves from peer to peer to the SFU. */
  sfuThreshold: number;
  /** Where this joiner connects from (Cloudflare's request.cf); the first one decides where media is placed. */
  locationHint: { country?: string; continent?: string; latitude?: string; longitude?: string; colo?: string } | null;
  waitingRoom: boolean;
  maxParticipants: number;
  /** ISO time at which the room ends the meeting by itself. */
  scheduledEndAt: string | null;
}

export async function forwardConnect(
  namespace: DurableObjectNamespace,
  request: Request,
  claims: JoinTokenClaims,
  settings: MeetingRoomSettings,
): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set(verifiedParticipantHeader, JSON.stringify(claims));
  headers.set(meetingSettingsHeader, JSON.stringify(settings));
  const stub = meetingRoomStub(namespace, claims.tenantId, claims.meetingId);
  const upgraded = await stub.fetch(new Request("https://meeting-room/connect", { headers }));
  // A stub's response has immutable headers; re-wrap so response middleware (request id, security headers) can add theirs.
  return new Response(upgraded.body, { status: upgraded.status, headers: upgraded.headers, webSocket: upgraded.webSocket });
}

export async function endMeetingRoom(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
  reason: string,
): Promise<void> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch("https://meeting-room/end", { method: "POST", body: JSON.stringify({ reason }) });
  if (!response.ok) throw new Error(`meeting room refused end: ${response.status}`);
}

/** Hands a verified media event (from LiveKit's webhook) to the meeting's room. */
export async function forwardMediaEvent(namespace: DurableObjectNamespace, tenantId: TenantId, meetingId: MeetingId, event: MediaRoomEvent): Promise<void> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch("https://meeting-room/media-event", { method: "POST", body: JSON.stringify(event) });
  if (!response.ok) throw new Error(`meeting room refused media event: ${response.status}`);
}
