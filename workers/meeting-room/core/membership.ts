import { closeCodes } from "../../../protocol/close-codes.ts";
import { billP2p, billP2pForAll, closeSfuSessions } from "./room-usage.ts";
import { moderators } from "./room-state.ts";
import { moderateOnSfu } from "./sfu-switch.ts";
import type { LeaveReason, RoomTransition } from "./room-transition.ts";
import { depart, lobby } from "./waiting-room.ts";
import { leaveDuringRecording, stopRecordingWithMeeting } from "./room-recording.ts";

/** Leaving and ending: what both the reducer and the frame handlers (remove, end_meeting) do to membership. */

export function notifyLobby(t: RoomTransition) {
  const hosts = moderators(t.state);
  if (hosts.length) t.emit({ type: "lobby_updated", lobby: lobby(t.state.lobby) }, { kind: "only", identities: hosts });
}

export function leave(t: RoomTransition, identity: string, reason: LeaveReason) {
  const { [identity]: gone, ...rest } = t.state.members;
  if (!gone) return;
  const { [identity]: _key, ...keys } = t.state.e2eeKeys;
  t.state = {
    ...t.state,
    members: rest,
    e2eeKeys: keys,
    lobby: depart(t.state.lobby, identity),
    spotlight: t.state.spotlight === identity ? null : t.state.spotlight,
  };
  if (!Object.keys(rest).length && t.state.session) t.state = { ...t.state, session: { ...t.state.session, emptySince: t.now } };
  t.emit({ type: "participant_left", identity, reason }, { kind: "all" });
  // Whoever stays must stop using media keys the leaver knew.
  if (Object.keys(rest).length) {
    t.emit({ type: "e2ee_rotate", reason: reason === "removed" ? "participant_removed" : "participant_left", identity }, { kind: "all" });
  }
  t.effect({ kind: "record_leave", identity, at: t.nowIso, reason });
  recordSession(t, identity, gone.joinedAt);
  // Their usage ends with the room's leave fact, whatever webhooks the SFU still sends (or never does).
  billP2p(t, identity, gone.joinedAt);
  closeSfuSessions(t, identity);
  leaveDuringRecording(t, identity);
}

export function endMeeting(t: RoomTransition, reason: string, by = "room") {
  // Stopped before the room closes: the recorder uploads what it has, and the stop is recorded as the meeting's.
  stopRecordingWithMeeting(t, by);
  t.emit({ type: "meeting_ended", reason }, { kind: "all" });
  moderateOnSfu(t, { kind: "close_room" }, by);
  for (const member of Object.values(t.state.members)) {
    t.effect({ kind: "record_leave", identity: member.identity, at: t.nowIso, reason: "ended" });
    recordSession(t, member.identity, member.joinedAt);
    t.effect({ kind: "close", identity: member.identity, code: closeCodes.ended, reason: "meeting ended" });
  }
  for (const waiting of lobby(t.state.lobby)) {
    t.effect({ kind: "close", identity: waiting.identity, code: closeCodes.ended, reason: "meeting ended" });
  }
  billP2pForAll(t);
  closeSfuSessions(t);
  if (t.state.session) {
    const { startedAt, peakParticipants } = t.state.session;
    t.effect({ kind: "record_session_end", startedAt, endedAt: t.nowIso, peakParticipants, reason });
  }
  t.state = { ...t.state, members: {}, endedReason: reason, session: null, mediaMode: { kind: "p2p" } };
}

/** The participant's time in the meeting, for the analytics (meeting minutes, call duration, active users). */
function recordSession(t: RoomTransition, identity: string, joinedAt: string) {
  const joined = Date.parse(joinedAt);
  if (!Number.isFinite(joined) || joined > t.now) return;
  t.effect({ kind: "analytics_record", list: "sessions", record: { participant: identity, joinedAt: joined, leftAt: t.now } });
}
