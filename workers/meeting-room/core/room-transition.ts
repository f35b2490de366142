import type { AnalyticsEvent, AnalyticsSample } from "../../../protocol/analytics-batch.ts";
import type { RoomErrorCode } from "../../../protocol/room-errors.ts";
import type { ChatMessage, ServerFrame, UnsequencedFrame } from "../../../protocol/server-frames.ts";
import { appendFrame, type Audience } from "./frame-log.ts";
import type { SfuEffect } from "./media-mode.ts";
import type { RoomUsageEntry } from "./room-usage-entry.ts";
import type { Member, RoomState } from "./room-state.ts";
import type { RecorderEffect, RecordingRecordEffect } from "./recording-state.ts";

/** What the Durable Object must do after a state change; the reducer itself does no I/O. */
export type RoomEffect =
  | SfuEffect
  | RecorderEffect
  | RecordingRecordEffect
  | { kind: "deliver"; audience: Audience; frame: ServerFrame }
  | { kind: "replay"; identity: string; frames: ServerFrame[] }
  | { kind: "close"; identity: string; code: number; reason: string }
  | { kind: "record_join"; identity: string; role: Member["role"]; name?: string; at: string }
  | { kind: "record_leave"; identity: string; at: string; reason: LeaveReason }
  /** A host let someone in from the waiting room or turned them away (reported to the tenant's webhooks). */
  | { kind: "record_lobby_decision"; identity: string; decision: "admitted" | "denied"; by: string; at: string }
  | { kind: "persist_chat" }
  | { kind: "record_usage"; usage: RoomUsageEntry }
  | { kind: "record_session_end"; startedAt: string; endedAt: string; peakParticipants: number; reason: string }
  | { kind: "presign_upload"; identity: string; ref: string; name: string; contentType: string; sizeBytes: number }
  | { kind: "presign_download"; identity: string; ref: string; objectKey: string }
  /** A call-quality record for the analytics pipeline (shell/analytics-outbox.ts batches them to the ingestion function). */
  | AnalyticsRecordEffect
  /** Read up to `limit` archived messages with seq < beforeSeq from Postgres, then answer with `history_loaded`. */
  | { kind: "load_chat_history"; identity: string; ref: string; beforeSeq: number; limit: number; window: ChatMessage[] };

export type AnalyticsRecordEffect =
  | { kind: "analytics_record"; list: "samples"; record: AnalyticsSample }
  | { kind: "analytics_record"; list: "events"; record: AnalyticsEvent }
  /** A participant's time in the meeting; the shell names the session (a stable id from meeting, identity and join). */
  | { kind: "analytics_record"; list: "sessions"; record: { participant: string; joinedAt: number; leftAt: number } };

export type LeaveReason = "left" | "removed" | "timeout" | "ended";

/**
 * One event's worth of change: holds the evolving state, stamps every outgoing frame with the meeting's
 * next sequence number (so replay on resume sees exactly what was delivered), and collects effects.
 */
export class RoomTransition {
  readonly effects: RoomEffect[] = [];

  constructor(
    public state: RoomState,
    readonly now: number,
  ) {}

  get nowIso(): string {
    return new Date(this.now).toISOString();
  }

  emit(frame: UnsequencedFrame, audience: Audience): void {
    const appended = appendFrame(this.state.frames, frame, audience, this.now);
    this.state = { ...this.state, frames: appended.log };
    this.effects.push({ kind: "deliver", audience, frame: appended.frame });
  }

  to(identity: string, frame: UnsequencedFrame): void {
    this.emit(frame, { kind: "only", identities: [identity] });
  }

  refuse(identity: string, code: RoomErrorCode, message: string, ref?: string): void {
    this.to(identity, { type: "error", code, message, ...(ref ? { ref } : {}) });
  }

  effect(effect: RoomEffect): void {
    this.effects.push(effect);
  }

  updateMember(identity: string, change: Partial<Member>): Member | undefined {
    const member = this.state.members[identity];
    if (!member) return undefined;
    const updated = { ...member, ...change };
    this.state = { ...this.state, members: { ...this.state.members, [identity]: updated } };
    return updated;
  }
}
