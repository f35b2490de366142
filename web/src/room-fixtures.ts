import type { RecordingIndicator } from "../../protocol/recording-indicator.ts";
import type { RosterEntry, ServerFrame } from "../../protocol/server-frames.ts";
import { applyFrame, initialRoomView, type RoomView } from "./room-view.ts";

/** Frames for the page's unit tests (never imported by the page itself). */
export const person = (
  identity: string,
  role: RosterEntry["role"] = "participant",
  joinedAt = "2026-11-24T10:00:00.000Z",
): RosterEntry => ({
  identity,
  name: identity.toUpperCase(),
  role,
  audioMuted: false,
  videoMuted: false,
  handRaised: false,
  connectionQuality: "good",
  joinedAt,
});

export const welcome = (overrides: Partial<Extract<ServerFrame, { type: "welcome" }>> = {}): ServerFrame => ({
  seq: 1,
  type: "welcome",
  protocolVersion: 1,
  meetingId: "m",
  title: "Weekly sync",
  mediaMode: "p2p",
  self: person("ada", "host"),
  roster: [person("ada", "host")],
  lobby: [],
  recentChat: [],
  iceServers: [{ urls: ["turn:127.0.0.1:3478"], username: "u", credential: "c" }],
  locked: false,
  spotlight: null,
  e2eePublicKeys: {},
  recording: null,
  ...overrides,
});

export const recordingIndicator = (overrides: Partial<RecordingIndicator> = {}): RecordingIndicator => ({
  recordingId: "0b6f7c1e-3a52-4d0e-9a51-2f1f0f6a7c10",
  phase: "capturing",
  startedAt: "2026-11-24T10:05:00.000Z",
  startedBy: "ada",
  layout: "grid",
  consentRequired: false,
  notCaptured: [],
  ...overrides,
});

export const replay = (frames: ServerFrame[], from: RoomView = initialRoomView) => frames.reduce(applyFrame, from);
