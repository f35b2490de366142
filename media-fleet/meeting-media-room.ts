import { mediaRoomName, type MediaRoomName } from "./media-fleet.ts";

/**
 * The media room of a meeting is named `<tenant>:<meeting>`: a webhook about it leads back to exactly one
 * tenant's meeting, and two tenants can never share a room. Anything else on the fleet is not ours.
 */
export function meetingMediaRoom(tenantId: string, meetingId: string): MediaRoomName {
  return mediaRoomName(`${tenantId}:${meetingId}`);
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function meetingOfMediaRoom(name: string): { tenantId: string; meetingId: string } | undefined {
  const [tenantId, meetingId, ...rest] = name.split(":");
  if (rest.length || !tenantId || !meetingId || !uuid.test(tenantId) || !uuid.test(meetingId)) return undefined;
  return { tenantId, meetingId };
}
