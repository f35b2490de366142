import type { MeetingId, TenantId } from "../../../protocol/ids.ts";
import {
  meetingSettingsHeader,
  roomRoutes,
  RoomAnalyticsStatus,
  RecordingCommandAnswer,
  type RecordingCommand,
  type RecordingReadyNotice,
  roomSettingsRequiredStatus,
  RoomRouteError,
  verifiedParticipantHeader,
  type EndMeetingRequest,
  type MediaRoomEvent,
  type MeetingRoomSettings,
  type MeetingSettingsUpdate,
  type VerifiedParticipant,
} from "../../../protocol/room-contract.ts";

/**
 * How the Worker talks to a meeting's Durable Object. The object's name includes the tenant, so two
 * tenants can never reach the same room even with colliding meeting ids.
 */
export const roomName = (tenantId: TenantId, meetingId: MeetingId) => `${tenantId}:${meetingId}`;

export function meetingRoomStub(namespace: DurableObjectNamespace, tenantId: TenantId, meetingId: MeetingId) {
  return namespace.get(namespace.idFromName(roomName(tenantId, meetingId)));
}

/**
 * The room said no on one of its internal routes: its status and, when it answered with the contract's JSON,
 * its code and detail. Thrown, never passed through: the API's problem renderer decides what the caller sees.
 */
export class MeetingRoomRefusal extends Error {
  override readonly name = "MeetingRoomRefusal";
  constructor(
    readonly route: keyof typeof roomRoutes,
    readonly status: number,
    readonly refusal: RoomRouteError | undefined,
  ) {
    super(`meeting room refused ${route}: ${status} ${refusal?.code ?? "without a code"}`);
  }
}

/** Reads a refusal; a body that is not the contract's JSON (text, HTML, garbage) leaves it without a code. */
export async function readRoomRefusal(route: keyof typeof roomRoutes, response: Response): Promise<MeetingRoomRefusal> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const parsed = RoomRouteError.safeParse(body);
  return new MeetingRoomRefusal(route, response.status, parsed.success ? parsed.data : undefined);
}

/** The room has never been configured: connect again with the meeting's settings (read from Postgres). */
export const settingsRequired = Symbol("settingsRequired");

/**
 * Opens the participant's WebSocket in the meeting's room. Without `settings` the room answers from what it
 * knows (it is authoritative while live), or `settingsRequired` when it was never configured.
 */
export async function forwardConnect(
  namespace: DurableObjectNamespace,
  request: Request,
  claims: VerifiedParticipant,
  settings?: MeetingRoomSettings,
): Promise<Response | typeof settingsRequired> {
  const headers = new Headers(request.headers);
  headers.set(verifiedParticipantHeader, JSON.stringify(claims));
  if (settings) headers.set(meetingSettingsHeader, JSON.stringify(settings satisfies MeetingRoomSettings));
  const stub = meetingRoomStub(namespace, claims.tenantId, claims.meetingId);
  const upgraded = await stub.fetch(new Request(`https://meeting-room${roomRoutes.connect}`, { headers }));
  if (!settings && upgraded.status === roomSettingsRequiredStatus) {
    await upgraded.body?.cancel();
    return settingsRequired;
  }
  // Anything but an accepted WebSocket is a refusal, whatever its status says.
  if (upgraded.status !== 101 || !upgraded.webSocket) throw await readRoomRefusal("connect", upgraded);
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
  const response = await stub.fetch(`https://meeting-room${roomRoutes.end}`, {
    method: "POST",
    body: JSON.stringify({ reason } satisfies EndMeetingRequest),
  });
  if (!response.ok) throw await readRoomRefusal("end", response);
}

/** Hands an API edit of the meeting to its room; a room nobody joined yet ignores it (its first connect reads Postgres). */
export async function updateMeetingRoom(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
  settings: MeetingSettingsUpdate,
): Promise<void> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch(`https://meeting-room${roomRoutes.settings}`, { method: "POST", body: JSON.stringify(settings) });
  if (!response.ok) throw await readRoomRefusal("settings", response);
}

/** Hands a verified media event (from LiveKit's webhook) to the meeting's room. */
export async function forwardMediaEvent(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
  event: MediaRoomEvent,
): Promise<void> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch(`https://meeting-room${roomRoutes.mediaEvent}`, { method: "POST", body: JSON.stringify(event) });
  if (!response.ok) throw await readRoomRefusal("mediaEvent", response);
}

/**
 * The room's analytics queue: batches waiting for the ingestion function and samples dropped. A room that never
 * ran answers an empty queue (reading it does not start a meeting).
 */
export async function readRoomAnalyticsStatus(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
): Promise<RoomAnalyticsStatus> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch(`https://meeting-room${roomRoutes.analyticsStatus}`);
  if (!response.ok) throw await readRoomRefusal("analyticsStatus", response);
  return RoomAnalyticsStatus.parse(await response.json());
}

/** A recording command (start, pause, resume, stop); the room's refusal is thrown with its code. */
export async function commandMeetingRecording(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
  command: RecordingCommand,
): Promise<RecordingCommandAnswer> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch(`https://meeting-room${roomRoutes.recording}`, { method: "POST", body: JSON.stringify(command) });
  if (!response.ok) throw await readRoomRefusal("recording", response);
  return RecordingCommandAnswer.parse(await response.json());
}

/** Tells the meeting's room (if it runs) that a recording is ready; a room that never ran ignores it. */
export async function notifyRecordingReady(
  namespace: DurableObjectNamespace,
  tenantId: TenantId,
  meetingId: MeetingId,
  notice: RecordingReadyNotice,
): Promise<void> {
  const stub = meetingRoomStub(namespace, tenantId, meetingId);
  const response = await stub.fetch(`https://meeting-room${roomRoutes.recordingReady}`, { method: "POST", body: JSON.stringify(notice) });
  if (!response.ok) throw await readRoomRefusal("recordingReady", response);
}
