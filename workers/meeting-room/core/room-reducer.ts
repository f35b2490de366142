import { isModerator } from "../../../protocol/permissions.ts";
import { protocolVersion } from "../../../protocol/protocol-version.ts";
import { markPersisted, recent, toWire } from "./chat-log.ts";
import { framesSince } from "./frame-log.ts";
import { applyMediaEvent } from "./media-presence.ts";
import { nextMediaCheckAt } from "./media-mode.ts";
import { afterJoin, checkMediaOnTick, onGrants, onPlaced, onPlacementFailed, onProbed } from "./sfu-switch.ts";
import { handleFrame } from "./room-frame-handlers.ts";
import { earliestSilenceDeadline, silenceDeadline } from "./liveness.ts";
import { commandRecording, onMediaPlaced, onMediaUnavailable, recordingIndicator, seatDuringRecording } from "./room-recording.ts";
import { answerRecorder, checkRecorderOnTick, nextRecorderCheckAt, onMediaMoved } from "./recording-continuity.ts";
import { configure, updateSettings } from "./room-configuration.ts";
import { endMeeting, leave, notifyLobby } from "./membership.ts";
import { moderators, rosterEntry, type IceServer, type Member, type Participant, type RoomEvent, type RoomState } from "./room-state.ts";
import { closeCodes } from "../../../protocol/close-codes.ts";
import { meetingDeletedReason } from "../../../protocol/room-contract.ts";
import { RoomTransition, type RoomEffect } from "./room-transition.ts";
import { admit as admitFromLobby, arrive, depart, lobby, pruneDeniedTokens } from "./waiting-room.ts";

export interface RoomResult {
  state: RoomState;
  effects: RoomEffect[];
  /** When the DO should wake next (grace expiry, heartbeat timeout); null when nothing is pending. */
  nextAlarmAt: number | null;
}

// The recorder's answers still arrive after the end: the last chunks and the manifest are uploaded then.
const afterEnd = new Set<RoomEvent["kind"]>(["tick", "chat_persisted", "chat_dead_lettered", "configure", "settings_changed", "recorder"]);

/** The meeting's state machine: one event in, the new state and the effects out. Pure. */
export function reduce(state: RoomState, event: RoomEvent, now: number): RoomResult {
  const t = new RoomTransition(state, now);
  // An ended room still ticks, settles its outbox and takes in settings; it answers nothing else but a hello (closed).
  if (state.endedReason && !afterEnd.has(event.kind)) {
    // A meeting deleted after it ended is gone, not just ended: later connects are refused as not found.
    if (event.kind === "end" && event.reason === meetingDeletedReason) t.state = { ...t.state, endedReason: meetingDeletedReason };
    if (event.kind === "hello")
      t.effect({ kind: "close", identity: event.participant.identity, code: closeCodes.ended, reason: "meeting ended" });
  } else {
    switch (event.kind) {
      case "configure":
        t.state = configure(t.state, event);
        break;
      case "settings_changed":
        t.state = updateSettings(t.state, event.settings);
        break;
      case "hello":
        onHello(t, event.participant, event.frame.resumeFromSeq, event.iceServers, event.frame.protocolVersion);
        break;
      case "frame":
        // ICE servers for an admitted lobby entry are minted by the shell for that entry (TURN credentials are per user).
        handleFrame(t, event.identity, event.frame, { admit: (identity) => admitMember(t, identity, event.iceServers ?? []) });
        break;
      case "disconnected":
        onDisconnected(t, event.identity, event.clean);
        break;
      case "reject":
        // Refusals decided by the shell (undecodable, rate-limited) still go out sequenced, like every frame.
        t.refuse(event.identity, event.code, event.message, event.ref);
        break;
      case "upload_ready": {
        const { identity, ref, objectKey, uploadUrl, expiresAt } = event;
        t.to(identity, { type: "attachment_upload", ref, objectKey, uploadUrl, expiresAt });
        break;
      }
      case "download_ready": {
        const { identity, ref, objectKey, downloadUrl, expiresAt } = event;
        t.to(identity, { type: "attachment_download", ref, objectKey, downloadUrl, expiresAt });
        break;
      }
      case "history_loaded":
        t.to(event.identity, {
          type: "chat_history",
          ref: event.ref,
          messages: [...event.window, ...event.archived],
          hasMore: event.hasMore,
        });
        break;
      case "chat_persisted":
        t.state = { ...t.state, chat: markPersisted(t.state.chat, event.flushed) };
        break;
      case "chat_dead_lettered":
        // Out of the outbox like a written message: the dead letter holds it, and it no longer pins the window.
        t.state = { ...t.state, chat: markPersisted(t.state.chat, event.messages) };
        break;
      case "media": {
        const media = applyMediaEvent(t.state.media, event.event);
        if (media !== t.state.media) {
          t.state = { ...t.state, media };
          t.emit({ type: "media_state", sfuActive: media.sfuActive, onSfu: media.onSfu }, { kind: "all" });
        }
        break;
      }
      case "media_placed": {
        // A move off a failed node: its media stopped at the first sign of the failure, not at this placement.
        const failedAt = t.state.mediaMode.kind === "placing" ? t.state.mediaMode.failedAt : undefined;
        onPlaced(t, event.nodeId, event.url);
        if (t.state.mediaMode.kind === "sfu") {
          onMediaPlaced(t, t.state.mediaMode.url);
          onMediaMoved(t, t.state.mediaMode.url, failedAt);
        }
        break;
      }
      case "media_placement_failed":
        onPlacementFailed(t, event.reason);
        onMediaUnavailable(t, event.reason);
        break;
      case "sfu_grants":
        onGrants(t, event.nodeId, event.grants);
        break;
      case "media_probed":
        onProbed(t, event.nodeId, event.healthy);
        break;
      case "tick":
        onTick(t);
        break;
      case "end":
        endMeeting(t, event.reason);
        break;
      case "recording_command":
        commandRecording(t, event.request);
        break;
      case "recorder":
        answerRecorder(t, event.answer);
        break;
      case "recording_ready": {
        const { recordingId, playbackUrl, expiresAt } = event;
        const hosts = moderators(t.state);
        if (hosts.length) t.emit({ type: "recording_ready", recordingId, playbackUrl, expiresAt }, { kind: "only", identities: hosts });
        break;
      }
      default:
        event satisfies never;
    }
  }
  return { state: t.state, effects: t.effects, nextAlarmAt: nextAlarm(t.state) };
}

function onHello(t: RoomTransition, who: Participant, resumeFromSeq: number | undefined, iceServers: IceServer[], version: number) {
  if (version !== protocolVersion) {
    t.refuse(who.identity, "invalid_frame", `protocol version ${version} is not supported (server speaks ${protocolVersion})`);
    t.effect({ kind: "close", identity: who.identity, code: closeCodes.refused, reason: "unsupported protocol version" });
    return;
  }
  const existing = t.state.members[who.identity];
  if (existing && resumeFromSeq !== undefined) {
    const replay = framesSince(t.state.frames, who.identity, resumeFromSeq, t.now);
    if (replay.kind === "replay") {
      t.updateMember(who.identity, { connected: true, lastSeenAt: t.now });
      t.effect({ kind: "replay", identity: who.identity, frames: replay.frames });
      t.to(who.identity, { type: "resumed", fromSeq: resumeFromSeq });
      return;
    }
  }
  if (existing) {
    // Reconnect without a usable resume point: same seat, fresh snapshot. The client starts over (new peer
    // connections too), so everyone else is told it (re)joined and drops what they had with it.
    const member = t.updateMember(who.identity, { connected: true, lastSeenAt: t.now })!;
    sendWelcome(t, who.identity, iceServers);
    if (Object.keys(t.state.members).length > 1) {
      t.emit({ type: "participant_joined", participant: rosterEntry(member) }, { kind: "all_except", identities: [who.identity] });
    }
    return;
  }
  const arrival = arrive(t.state.lobby, { ...who, tokenExpiresAt: who.tokenExpiresAt }, new Date(t.now));
  if (!arrival.ok) {
    t.refuse(who.identity, arrival.code, arrival.message);
    t.effect({ kind: "close", identity: who.identity, code: closeCodes.refused, reason: arrival.code });
    return;
  }
  t.state = { ...t.state, lobby: arrival.state };
  if (arrival.outcome === "queued") {
    t.to(who.identity, { type: "waiting_room" });
    notifyLobby(t);
    return;
  }
  join(t, who, iceServers);
}

function join(t: RoomTransition, who: Participant, iceServers: IceServer[]) {
  const admitted = Object.values(t.state.members).length;
  if (admitted >= t.state.settings.maxParticipants) {
    t.refuse(who.identity, "meeting_full", `this meeting holds at most ${t.state.settings.maxParticipants} participants`);
    t.effect({ kind: "close", identity: who.identity, code: closeCodes.refused, reason: "meeting_full" });
    t.state = { ...t.state, lobby: depart(t.state.lobby, who.identity) };
    return;
  }
  const member: Member = {
    identity: who.identity,
    ...(who.name ? { name: who.name } : {}),
    role: who.role,
    audioMuted: false,
    videoMuted: false,
    handRaised: false,
    connectionQuality: "good",
    joinedAt: t.nowIso,
    connected: true,
    lastSeenAt: t.now,
    tokenId: who.tokenId,
    tokenExpiresAt: who.tokenExpiresAt.toISOString(),
    ...(who.mintedBy ? { mintedBy: who.mintedBy } : {}),
  };
  t.state = { ...t.state, members: { ...t.state.members, [who.identity]: member } };
  const count = Object.keys(t.state.members).length;
  const session = t.state.session ?? { startedAt: t.nowIso, peakParticipants: 0, emptySince: null };
  t.state = { ...t.state, session: { ...session, peakParticipants: Math.max(session.peakParticipants, count), emptySince: null } };
  sendWelcome(t, who.identity, iceServers);
  if (Object.keys(t.state.members).length > 1) {
    t.emit({ type: "participant_joined", participant: rosterEntry(member) }, { kind: "all_except", identities: [who.identity] });
  }
  t.effect({ kind: "record_join", identity: who.identity, role: who.role, ...(who.name ? { name: who.name } : {}), at: t.nowIso });
  afterJoin(t, who.identity, seatDuringRecording(t, who.identity));
  // Each session of an auto-recorded meeting is recorded from its first arrival; the shell names the recording.
  if (t.state.settings.autoRecord && count === 1 && !t.state.recording) t.effect({ kind: "new_recording", by: "auto", layout: "grid" });
}

/** Called by the `admit` handler once the lobby let someone in. */
function admitMember(t: RoomTransition, identity: string, iceServers: IceServer[]): boolean {
  const decision = admitFromLobby(t.state.lobby, identity);
  if (!decision.ok) return false;
  t.state = { ...t.state, lobby: decision.state };
  const entry = decision.entry;
  // The newest invitation the person waited with is the one they are seated under.
  const token = entry?.tokens.at(-1);
  if (entry && token) {
    const seat = { identity, name: entry.name, role: entry.role, tokenId: token.id, tokenExpiresAt: new Date(token.expiresAt) };
    join(t, { ...seat, mintedBy: entry.mintedBy }, iceServers);
  }
  notifyLobby(t);
  return true;
}

function sendWelcome(t: RoomTransition, identity: string, iceServers: IceServer[]) {
  const self = t.state.members[identity]!;

  t.to(identity, {
    type: "welcome",
    protocolVersion,
    meetingId: t.state.meetingId,
    title: t.state.settings.title,
    self: rosterEntry(self),
    roster: Object.values(t.state.members).map(rosterEntry),
    lobby: isModerator(self.role) ? lobby(t.state.lobby) : [],
    recentChat: recent(t.state.chat, 50).map(toWire),
    iceServers,
    locked: t.state.lobby.locked,
    spotlight: t.state.spotlight,
    e2eePublicKeys: t.state.e2eeKeys,
    mediaMode: t.state.mediaMode.kind === "sfu" ? "sfu" : "p2p",
    recording: recordingIndicator(t),
  });
}

function onDisconnected(t: RoomTransition, identity: string, clean: boolean) {
  if (t.state.members[identity]) {
    // A clean close is a deliberate leave; anything else may come back within the grace window.
    if (clean) leave(t, identity, "left");
    else t.updateMember(identity, { connected: false, lastSeenAt: t.now });
    return;
  }
  if (lobby(t.state.lobby).some((e) => e.identity === identity)) {
    t.state = { ...t.state, lobby: depart(t.state.lobby, identity) };
    notifyLobby(t);
  }
}

function onTick(t: RoomTransition) {
  t.state = { ...t.state, lobby: pruneDeniedTokens(t.state.lobby, new Date(t.now)) };
  if (t.state.endedReason) return;
  checkMediaOnTick(t);
  checkRecorderOnTick(t);
  const { scheduledEndAt, idleTimeoutMs } = t.state.settings;
  if (scheduledEndAt !== null && t.now >= scheduledEndAt) return endMeeting(t, "scheduled_end");
  const emptySince = t.state.session?.emptySince;
  if (emptySince != null && t.now - emptySince >= idleTimeoutMs) return endMeeting(t, "idle");
  for (const member of Object.values(t.state.members)) {
    if (t.now < silenceDeadline(member, t.state.settings)) continue;
    if (!member.connected) leave(t, member.identity, "timeout");
    else {
      // Silent but "open": a dropped network without a close. Close it and let the grace window run.
      t.effect({ kind: "close", identity: member.identity, code: closeCodes.timeout, reason: "heartbeat timeout" });
      t.updateMember(member.identity, { connected: false, lastSeenAt: t.now });
    }
  }
}

function nextAlarm(state: RoomState): number | null {
  if (state.endedReason) return null;
  const due: number[] = [];
  const silence = earliestSilenceDeadline(state.members, state.settings);
  if (silence !== null) due.push(silence);
  if (state.settings.scheduledEndAt !== null) due.push(state.settings.scheduledEndAt);
  if (state.session?.emptySince != null) due.push(state.session.emptySince + state.settings.idleTimeoutMs);
  // Members present (they have a deadline): the media mode is watched.
  const mediaCheck = silence !== null ? nextMediaCheckAt(state.mediaMode) : null;
  if (mediaCheck !== null) due.push(mediaCheck);
  const recorderCheck = nextRecorderCheckAt(state.recording);
  if (recorderCheck !== null) due.push(recorderCheck);
  return due.length ? Math.min(...due) : null;
}
