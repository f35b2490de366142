import type { MediaRoomEvent } from "../../protocol/media-events.ts";

/**
 * Reconciling a meeting's SFU sessions against the SFU's own participant list: everyone the SFU says is connected
 * is reported to the meeting room as a join carrying the SFU's own session (room sid, participant sid, join time),
 * exactly what a participant_joined webhook would have said. A room that already knows them changes nothing; one
 * whose webhook was dropped now holds the session and closes it like any other (the participant's leave webhook,
 * their leave from the meeting, the meeting's end, the node's death), under the same key a webhook would bill. Pure.
 */
export interface SfuParticipantSeen {
  identity: string;
  sid: string;
  /** Unix seconds, as LiveKit reports it. */
  joinedAt: number;
  /** Hidden participants (recorders) are metered as recording, not participant time. */
  hidden: boolean;
  state: "joining" | "joined" | "active" | "disconnected";
}

export function sessionsToReport(roomSid: string, seen: readonly SfuParticipantSeen[], nowMs: number): MediaRoomEvent[] {
  return seen
    .filter((p) => !p.hidden && p.state !== "disconnected" && p.joinedAt > 0 && p.joinedAt * 1000 <= nowMs)
    .map((p) => {
      const joinedAt = new Date(p.joinedAt * 1000).toISOString();
      return {
        kind: "sfu_participant",
        identity: p.identity,
        connected: true,
        at: joinedAt,
        session: { roomSid, participantSid: p.sid, joinedAt },
      };
    });
}
