import type { z } from "zod";
import {
  EndMeetingRequest,
  MediaRoomEvent,
  MeetingRoomSettings,
  MeetingSettingsUpdate,
  meetingSettingsHeader,
  RecordingCommand,
  RecordingReadyNotice,
  roomRoutes,
  roomSettingsRequiredStatus,
  VerifiedParticipant,
  verifiedParticipantHeader,
  type RoomRouteError,
} from "../../../protocol/room-contract.ts";
import { errorCatalog, type ErrorCode } from "../../api/errors.ts";
import type { RoomEvent } from "../core/room-state.ts";

/** A request on one of the room's internal routes (protocol/room-contract.ts), checked against the contract. */
export type RoomRoute =
  /** Without settings when the Worker expects the room to be live already (it is authoritative for them then). */
  | { kind: "connect"; claims: VerifiedParticipant; settings: MeetingRoomSettings | undefined }
  | { kind: "event"; event: RoomEvent; answer: Record<string, boolean> }
  | { kind: "analytics_status" }
  /** Answered with the recording as participants now see it, or refused (room-recording.ts `recordingRefusal`). */
  | { kind: "recording"; command: RecordingCommand };

/** The room's refusal: JSON `RoomRouteError` with the status of its code; the Worker turns it into problem+json. */
export function roomRouteError(code: ErrorCode, detail: string): Response {
  return Response.json({ code, detail } satisfies RoomRouteError, { status: errorCatalog[code].status });
}

/** A connect without settings to a room never configured: the Worker reads them from Postgres and asks again. */
export function roomSettingsRequired(): Response {
  return Response.json({ settingsRequired: true }, { status: roomSettingsRequiredStatus });
}

/** Reads a route, or answers the refusal (unknown route, wrong method, no upgrade, a payload breaking the contract). */
export async function readRoomRoute(request: Request): Promise<RoomRoute | Response> {
  const { pathname } = new URL(request.url);
  switch (pathname) {
    case roomRoutes.connect: {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
        return roomRouteError("upgrade_required", "connect is a WebSocket upgrade");
      const claims = parseJson(VerifiedParticipant, request.headers.get(verifiedParticipantHeader), verifiedParticipantHeader);
      if (claims instanceof Response) return claims;
      const header = request.headers.get(meetingSettingsHeader);
      if (header === null) return { kind: "connect", claims, settings: undefined };
      const settings = parseJson(MeetingRoomSettings, header, meetingSettingsHeader);
      if (settings instanceof Response) return settings;
      return { kind: "connect", claims, settings };
    }
    case roomRoutes.mediaEvent: {
      const event = await readBody(request, MediaRoomEvent);
      return event instanceof Response ? event : { kind: "event", event: { kind: "media", event }, answer: { accepted: true } };
    }
    case roomRoutes.end: {
      const body = await readBody(request, EndMeetingRequest);
      return body instanceof Response ? body : { kind: "event", event: { kind: "end", reason: body.reason }, answer: { ended: true } };
    }
    case roomRoutes.settings: {
      const settings = await readBody(request, MeetingSettingsUpdate);
      return settings instanceof Response
        ? settings
        : { kind: "event", event: { kind: "settings_changed", settings }, answer: { updated: true } };
    }
    case roomRoutes.recording: {
      const command = await readBody(request, RecordingCommand);
      return command instanceof Response ? command : { kind: "recording", command };
    }
    case roomRoutes.recordingReady: {
      const notice = await readBody(request, RecordingReadyNotice);
      return notice instanceof Response
        ? notice
        : { kind: "event", event: { kind: "recording_ready", ...notice }, answer: { notified: true } };
    }
    case roomRoutes.analyticsStatus:
      if (request.method !== "GET") return roomRouteError("method_not_allowed", "this room route takes GET");
      return { kind: "analytics_status" };
    default:
      return roomRouteError("route_not_found", "no such room route");
  }
}

async function readBody<T>(request: Request, schema: z.ZodType<T>): Promise<T | Response> {
  if (request.method !== "POST") return roomRouteError("method_not_allowed", "this room route takes POST");
  return parseJson(schema, await request.text(), "body");
}

/** Only the failing fields' paths go into the detail, never their values. */
function parseJson<T>(schema: z.ZodType<T>, text: string | null, what: string): T | Response {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "null");
  } catch {
    return roomRouteError("malformed_json", `${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(root)").join(", ");
  return roomRouteError("validation_failed", `${what} breaks the room contract at: ${fields}`.slice(0, 500));
}
