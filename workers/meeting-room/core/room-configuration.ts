import type { RoomEvent, RoomState } from "./room-state.ts";
import { createRoomState } from "./room-state.ts";

type ConfigureEvent = Extract<RoomEvent, { kind: "configure" }>;

/** A room comes into being with its first `configure` (its first connect); any other event before that has no room to act on. */
export function roomBornOf(event: RoomEvent): RoomState | undefined {
  if (event.kind !== "configure") return undefined;
  return createRoomState(event.meetingId, { waitingRoom: event.settings.waitingRoom }, event.tenantId);
}

/**
 * Takes in the settings the Worker read with this connect: they may have been edited through the API since the
 * room was created. The first joiner's location hint stays: that is where the meeting's media is placed.
 */
export function configure(state: RoomState, { tenantId, settings }: ConfigureEvent): RoomState {
  const { title, waitingRoom, maxParticipants, sfuThreshold } = settings;
  const scheduledEndAt = settings.scheduledEndAt ? Date.parse(settings.scheduledEndAt) : null;
  return {
    ...state,
    tenantId,
    locationHint: state.locationHint ?? settings.locationHint,
    settings: { ...state.settings, title, waitingRoom, maxParticipants, sfuThreshold, scheduledEndAt },
    // Unchanged lobby stays the same object, so storage rewrites nothing for it.
    lobby: state.lobby.enabled === waitingRoom ? state.lobby : { ...state.lobby, enabled: waitingRoom },
  };
}
