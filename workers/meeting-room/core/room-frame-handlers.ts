import { sampleQuality } from "../../../protocol/call-quality.ts";
import type { ClientFrame } from "../../../protocol/client-frames.ts";
import { isTenantAttachment } from "./attachment-keys.ts";
import { deleteMessage, edit, history, react, send, toWire } from "./chat-log.ts";
import { authorize, canModerateChat, muteAllTargets, type HostRequest, type MeetingActor as Actor } from "../../../protocol/permissions.ts";
import { rosterEntry, type Member } from "./room-state.ts";
import { closeCodes } from "../../../protocol/close-codes.ts";
import type { RoomTransition } from "./room-transition.ts";
import { moderateOnSfu, onMediaTrouble } from "./sfu-switch.ts";
import { deny, setLocked } from "./waiting-room.ts";
import { endMeeting, leave, notifyLobby } from "./membership.ts";
import { seenIsStale } from "./liveness.ts";
import { answerConsent, commandRecording, excludeFromRecording, recordingRefusal } from "./room-recording.ts";
import type { RecordingRequest } from "./recording-state.ts";

type Frame = Exclude<ClientFrame, { type: "hello" }>;

export interface FrameContext {
  /** Moves a lobby entry into the meeting; false when it is no longer waiting. */
  admit(identity: string): boolean;
}

/** Attachments the room hands out upload URLs for. */
export const attachmentLimits = {
  maxBytes: 25 * 1024 * 1024,
  contentTypes: /^(?:image\/(?:png|jpeg|gif|webp)|application\/pdf|text\/plain|video\/mp4|audio\/mpeg)$/,
};

/** Handles one decoded frame from a connected socket. Every refusal becomes an `error` frame to the sender. */
export function handleFrame(t: RoomTransition, identity: string, frame: Frame, context: FrameContext): void {
  const sender = t.state.members[identity];
  if (!sender) {
    // Only pings are answered in the lobby; everything else waits for admission.
    if (frame.type === "ping") t.to(identity, { type: "pong", ref: frame.id });
    else t.refuse(identity, "in_waiting_room", "wait for a host to admit you", frame.id);
    return;
  }
  if (seenIsStale(sender, t.state.settings, t.now)) t.updateMember(identity, { lastSeenAt: t.now, connected: true });
  const actor: Actor = { identity, role: sender.role };

  switch (frame.type) {
    case "ping":
      t.to(identity, { type: "pong", ref: frame.id });
      return;
    case "media_trouble":
      onMediaTrouble(t, identity);
      return;
    case "quality_sample": {
      // The room rates the sample itself (the same E-model the analytics use) and tells the meeting when it changes.
      const { id: _id, type: _type, ...figures } = frame;
      const rated = sampleQuality(frame.tracks);
      const member = t.state.members[identity];
      if (rated && member && member.connectionQuality !== rated.quality) {
        broadcastMember(t, t.updateMember(identity, { connectionQuality: rated.quality }));
      }
      const record = { ...figures, participant: identity, receivedAt: t.now, mos: rated?.mos ?? null, quality: rated?.quality ?? null };
      t.effect({ kind: "analytics_record", list: "samples", record });
      return;
    }
    case "quality_event":
      t.effect({ kind: "analytics_record", list: "events", record: { ...frame.event, participant: identity, receivedAt: t.now } });
      return;
    case "presence": {
      const { audioMuted, videoMuted, handRaised, connectionQuality } = frame;
      const change: Partial<Member> = {
        ...(audioMuted !== undefined ? { audioMuted } : {}),
        ...(videoMuted !== undefined ? { videoMuted } : {}),
        ...(handRaised !== undefined ? { handRaised } : {}),
        ...(connectionQuality !== undefined ? { connectionQuality } : {}),
      };
      broadcastMember(t, t.updateMember(identity, change));
      return;
    }
    case "signal":
    case "e2ee_key_package": {
      if (frame.to === identity || !t.state.members[frame.to])
        return t.refuse(identity, "not_found", `${frame.to} is not in this meeting`, frame.id);
      if (frame.type === "signal") t.to(frame.to, { type: "signal", from: identity, payload: frame.payload });
      else t.to(frame.to, { type: "e2ee_key_package", from: identity, keyId: frame.keyId, ciphertext: frame.ciphertext, iv: frame.iv });
      return;
    }
    case "e2ee_publish_key":
      t.state = { ...t.state, e2eeKeys: { ...t.state.e2eeKeys, [identity]: { ...frame.publicKey } } };
      t.emit({ type: "e2ee_key", identity, publicKey: { ...frame.publicKey } }, { kind: "all_except", identities: [identity] });
      return;
    case "chat_send": {
      const foreign = frame.attachments.find((a) => !isTenantAttachment(a.objectKey, t.state.tenantId, t.state.meetingId));
      if (foreign) return t.refuse(identity, "attachment_rejected", "attachments must be uploaded to this meeting first", frame.id);
      const result = send(
        t.state.chat,
        { sender: identity, clientMessageId: frame.clientMessageId, body: frame.body, attachments: frame.attachments },
        t.state.chatSeq + 1,
        new Date(t.now),
      );
      if (!result.ok) return t.refuse(identity, result.code, result.message, frame.id);
      t.state = { ...t.state, chat: result.state, chatSeq: result.duplicate ? t.state.chatSeq : result.message.seq };
      // A resend is acknowledged to its sender only; everyone else already has the message.
      if (result.duplicate) t.to(identity, { type: "chat_message", message: toWire(result.message) });
      else {
        t.emit({ type: "chat_message", message: toWire(result.message) }, { kind: "all" });
        t.effect({ kind: "persist_chat" });
      }
      return;
    }
    case "chat_edit":
    case "chat_delete":
    case "chat_react": {
      const change = { seq: frame.messageSeq, by: identity, canModerate: canModerateChat(actor) };
      const now = new Date(t.now);
      const result =
        frame.type === "chat_edit"
          ? edit(t.state.chat, { ...change, body: frame.body }, now)
          : frame.type === "chat_delete"
            ? deleteMessage(t.state.chat, change, now)
            : react(t.state.chat, frame.messageSeq, identity, frame.emoji, frame.on);
      if (!result.ok) return t.refuse(identity, result.code, result.message, frame.id);
      t.state = { ...t.state, chat: result.state };
      if (result.changed) {
        t.emit({ type: "chat_updated", message: toWire(result.message) }, { kind: "all" });
        t.effect({ kind: "persist_chat" });
      }
      return;
    }
    case "chat_history": {
      const page = history(t.state.chat, { beforeSeq: frame.beforeSeq, limit: frame.limit });
      if (page.exhausted) {
        // The rest of the page is older than the window: the shell reads it from Postgres.
        const beforeSeq = Math.min(page.messages.at(-1)?.seq ?? Infinity, frame.beforeSeq ?? t.state.chatSeq + 1);
        const window = page.messages.map(toWire);
        return t.effect({ kind: "load_chat_history", identity, ref: frame.id, beforeSeq, limit: frame.limit - window.length, window });
      }
      t.to(identity, { type: "chat_history", ref: frame.id, messages: page.messages.map(toWire), hasMore: page.hasMore });
      return;
    }
    case "attachment_upload": {
      if (frame.sizeBytes > attachmentLimits.maxBytes)
        return t.refuse(identity, "attachment_rejected", `attachments are limited to ${attachmentLimits.maxBytes} bytes`, frame.id);
      if (!attachmentLimits.contentTypes.test(frame.contentType))
        return t.refuse(identity, "attachment_rejected", `${frame.contentType} is not an allowed attachment type`, frame.id);
      t.effect({
        kind: "presign_upload",
        identity,
        ref: frame.id,
        name: frame.name,
        contentType: frame.contentType,
        sizeBytes: frame.sizeBytes,
      });
      return;
    }
    case "recording_consent":
      if (!answerConsent(t, identity, frame.accept)) t.refuse(identity, "recording_conflict", "no recording is running", frame.id);
      return;
    case "attachment_download":
      if (!isTenantAttachment(frame.objectKey, t.state.tenantId, t.state.meetingId))
        return t.refuse(identity, "not_found", "no such attachment in this meeting", frame.id);
      t.effect({ kind: "presign_download", identity, ref: frame.id, objectKey: frame.objectKey });
      return;
    default:
      hostControl(t, actor, frame, context);
  }
}

type HostFrame = Extract<
  Frame,
  {
    type:
      | "mute"
      | "mute_all"
      | "remove"
      | "lock"
      | "end_meeting"
      | "set_role"
      | "spotlight"
      | "admit"
      | "deny"
      | "recording"
      | "recording_exclude";
  }
>;

function hostControl(t: RoomTransition, actor: Actor, frame: HostFrame, context: FrameContext): void {
  const request: HostRequest =
    frame.type === "mute" || frame.type === "remove"
      ? { action: frame.type, target: frame.target }
      : frame.type === "set_role"
        ? { action: "set_role", target: frame.target, role: frame.role }
        : frame.type === "spotlight"
          ? { action: "spotlight", target: frame.target }
          : frame.type === "recording_exclude"
            ? { action: "recording_exclude", target: frame.target }
            : { action: frame.type === "recording" ? "record" : frame.type };
  const permission = authorize(actor, request, (identity) => t.state.members[identity]?.role);
  if (!permission.ok) return t.refuse(actor.identity, permission.code, permission.message, frame.id);

  switch (frame.type) {
    case "mute":
      return muteOne(t, frame.target, frame.track, actor.identity, frame.id);
    case "mute_all":
      for (const target of muteAllTargets(actor, Object.values(t.state.members))) muteOne(t, target, frame.track, actor.identity, frame.id);
      return;
    case "remove": {
      const target = t.state.members[frame.target]!;
      // The removed invitation can't be reused to walk back in.
      t.state = {
        ...t.state,
        lobby: { ...t.state.lobby, deniedTokens: { ...t.state.lobby.deniedTokens, [target.tokenId]: target.tokenExpiresAt } },
      };
      t.to(frame.target, { type: "removed", by: actor.identity, ...(frame.reason ? { reason: frame.reason } : {}) });
      t.effect({ kind: "close", identity: frame.target, code: closeCodes.removed, reason: "removed by a host" });
      leave(t, frame.target, "removed");
      moderateOnSfu(t, { kind: "remove", identity: frame.target }, actor.identity, frame.id);
      return;
    }
    case "lock":
      t.state = { ...t.state, lobby: setLocked(t.state.lobby, frame.locked) };
      t.emit({ type: "meeting_locked", locked: frame.locked, by: actor.identity }, { kind: "all" });
      return;
    case "end_meeting":
      return endMeeting(t, `ended_by_${actor.role}`, actor.identity);
    case "set_role":
      broadcastMember(t, t.updateMember(frame.target, { role: frame.role }));
      notifyLobby(t);
      return;
    case "spotlight":
      t.state = { ...t.state, spotlight: frame.target };
      t.emit({ type: "spotlight", target: frame.target, by: actor.identity }, { kind: "all" });
      return;
    case "admit":
      if (!context.admit(frame.target)) t.refuse(actor.identity, "not_found", `${frame.target} is not waiting`, frame.id);
      else t.effect({ kind: "record_lobby_decision", identity: frame.target, decision: "admitted", by: actor.identity, at: t.nowIso });
      return;
    case "recording": {
      if (frame.action === "start") {
        if (t.state.recording) return t.refuse(actor.identity, "recording_conflict", "the meeting is already being recorded", frame.id);
        // The shell names the recording (a fresh id) and starts it.
        const { layout = "grid", consentRequired } = frame;
        return t.effect({
          kind: "new_recording",
          by: actor.identity,
          layout,
          ...(consentRequired !== undefined ? { consentRequired } : {}),
        });
      }
      const request: RecordingRequest = { action: frame.action, by: actor.identity };
      if (recordingRefusal(t, request)) return t.refuse(actor.identity, "recording_conflict", "no recording is running", frame.id);
      return commandRecording(t, request);
    }
    case "recording_exclude":
      if (!excludeFromRecording(t, frame.target, frame.excluded))
        t.refuse(actor.identity, "recording_conflict", "no recording is running", frame.id);
      return;
    case "deny": {
      const decision = deny(t.state.lobby, frame.target);
      if (!decision.ok) return t.refuse(actor.identity, decision.code, decision.message, frame.id);
      t.state = { ...t.state, lobby: decision.state };
      t.to(frame.target, { type: "denied" });
      t.effect({ kind: "record_lobby_decision", identity: frame.target, decision: "denied", by: actor.identity, at: t.nowIso });
      t.effect({ kind: "close", identity: frame.target, code: closeCodes.denied, reason: "denied by a host" });
      notifyLobby(t);
      return;
    }
    default:
      frame satisfies never;
  }
}

function muteOne(t: RoomTransition, target: string, track: "audio" | "video", by: string, ref: string) {
  const member = t.updateMember(target, track === "audio" ? { audioMuted: true } : { videoMuted: true });
  if (!member) return;
  t.to(target, { type: "muted", track, by });
  broadcastMember(t, member);
  moderateOnSfu(t, { kind: "mute", identity: target, track }, by, ref);
}

function broadcastMember(t: RoomTransition, member: Member | undefined) {
  if (!member) return;
  t.emit({ type: "participant_updated", participant: rosterEntry(member) }, { kind: "all" });
}
