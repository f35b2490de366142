import type { MeetingSettingsUpdate } from "../../protocol/room-contract.ts";
import type { MeetingRow } from "./meeting-repository.ts";

/**
 * Pure rules for a meeting record's lifecycle: scheduled -> live -> ended, and which edits are allowed.
 * `live` is entered by the meeting's Durable Object on the first join; everything here is I/O-free.
 */
export type MeetingStatus = "scheduled" | "live" | "ended";

export interface Schedule {
  scheduledStartAt: Date | null;
  scheduledEndAt: Date | null;
}

export function refuseUpdate(status: MeetingStatus): "meeting_ended" | undefined {
  return status === "ended" ? "meeting_ended" : undefined;
}

/** Ending is idempotent: an ended meeting keeps its first end time. */
export function endedAt(current: { status: MeetingStatus; endedAt: Date | null }, now: Date): Date {
  return current.status === "ended" && current.endedAt ? current.endedAt : now;
}

/** Validates the schedule that results from applying a patch to the stored one. */
export function mergeSchedule(stored: Schedule, patch: Partial<Schedule>): Schedule | "invalid_schedule" {
  const merged: Schedule = {
    scheduledStartAt: patch.scheduledStartAt !== undefined ? patch.scheduledStartAt : stored.scheduledStartAt,
    scheduledEndAt: patch.scheduledEndAt !== undefined ? patch.scheduledEndAt : stored.scheduledEndAt,
  };
  if (merged.scheduledStartAt && merged.scheduledEndAt && merged.scheduledEndAt <= merged.scheduledStartAt) {
    return "invalid_schedule";
  }
  return merged;
}

/** Can a join token still be minted / a participant still connect? */
export function acceptsParticipants(status: MeetingStatus): boolean {
  return status !== "ended";
}

/** The settings a meeting's room takes from its row (connect and API edits send the same ones). */
export function roomSettingsOf(
  meeting: Pick<MeetingRow, "title" | "waitingRoom" | "maxParticipants" | "scheduledEndAt" | "autoRecord" | "recordingConsent">,
  sfuThreshold: number,
): MeetingSettingsUpdate {
  return {
    title: meeting.title,
    sfuThreshold,
    waitingRoom: meeting.waitingRoom,
    maxParticipants: meeting.maxParticipants,
    scheduledEndAt: meeting.scheduledEndAt?.toISOString() ?? null,
    autoRecord: meeting.autoRecord,
    recordingConsent: meeting.recordingConsent,
  };
}
