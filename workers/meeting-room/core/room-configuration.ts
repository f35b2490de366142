import { meetingDeletedReason, type MeetingSettingsUpdate } from "../../../protocol/room-contract.ts";
import type { RoomEvent, RoomState } from "./room-state.ts";
import { createRoomState } from "./room-state.ts";

type ConfigureEvent = Extract<RoomEvent, { kind: "configure" }>;

/** A room comes into being with its first `configure` (its first connect); any other event before that has no room to act on. */
export function roomBornOf(event: RoomEvent): RoomState | undefined {
  if (event.kind !== "configure") return undefined;
  return createRoomState(event.meetingId, { waitingRoom: event.settings.waitingRoom }, event.tenantId);
}

/** An API edit of a live room's meeting: the same settings as a connect brings, without a location. */
export function updateSettings(state: RoomState, settings: MeetingSettingsUpdate): RoomState {
  return configure(state, { tenantId: state.tenantId, settings: { ...settings, locationHint: null } });
}

/**
 * Why a live room refuses a new connect, if it does: an ended meeting is `meeting_ended`, a deleted one
 * `not_found` (as the API answers for it). The room knows before Postgres does, so the Worker need not ask it.
 */
export function connectRefusal(state: RoomState): "meeting_ended" | "not_found" | undefined {
  if (state.endedReason === null) return undefined;
  return state.endedReason === meetingDeletedReason ? "not_found" : "meeting_ended";
}

/**
 * Takes in the settings the Worker read with this connect: they may have been edited through the API since the
 * room was created. The first joiner's location hint stays: that is where the meeting's media is placed.
 */
export function configure(state: RoomState, { tenantId, settings }: Pick<ConfigureEvent, "tenantId" | "settings">): RoomState {
  const { title, waitingRoom, maxParticipants, sfuThreshold, autoRecord, recordingConsent } = settings;
  const scheduledEndAt = settings.scheduledEndAt ? Date.parse(settings.scheduledEndAt) : null;
  return {
    ...state,
    tenantId,
    locationHint: state.locationHint ?? settings.locationHint,
    settings: { ...state.settings, title, waitingRoom, maxParticipants, sfuThreshold, scheduledEndAt, autoRecord, recordingConsent },
    // Unchanged lobby stays the same object, so storage rewrites nothing for it.
    lobby: state.lobby.enabled === waitingRoom ? state.lobby : { ...state.lobby, enabled: waitingRoom },
  };
}
