import { describe, expect, it } from "vitest";
import type { ClientFrame } from "../../../protocol/client-frames.ts";
import type { ServerFrame } from "../../../protocol/server-frames.ts";
import { isAddressedTo } from "./frame-log.ts";
import { reduce } from "./room-reducer.ts";
import { livenessRefreshMs, silenceDeadline } from "./liveness.ts";
import { roomBornOf } from "./room-configuration.ts";
import type { MeetingRoomSettings } from "../../../protocol/room-contract.ts";
import { createRoomState, type Participant, type RoomEvent, type RoomState } from "./room-state.ts";
import type { RoomEffect } from "./room-transition.ts";

const tenant = "0b0c5f0e-3d0a-4c1e-9a49-9d7f1f2b3c4d";
const ice = [{ urls: ["turn:127.0.0.1:3478"], username: "u", credential: "c" }];
const person = (identity: string, role: Participant["role"] = "participant"): Participant => ({
  identity,
  name: identity.toUpperCase(),
  role,
  tokenId: `jti-${identity}`,
  tokenExpiresAt: new Date(10_000_000),
});

/** Drives the reducer and keeps, per identity, the frames the DO would have delivered to it. */
class Room {
  state: RoomState;
  now = 1_000;
  inbox = new Map<string, ServerFrame[]>();
  effects: RoomEffect[] = [];

  constructor(options: { waitingRoom?: boolean; maxParticipants?: number } = {}) {
    this.state = createRoomState(
      "m1",
      { waitingRoom: options.waitingRoom ?? false, ...(options.maxParticipants ? { maxParticipants: options.maxParticipants } : {}) },
      tenant,
    );
  }

  dispatch(event: RoomEvent) {
    const before = this.connected();
    const result = reduce(this.state, event, this.now);
    this.state = result.state;
    this.effects.push(...result.effects);
    // Sockets of members who leave in this very event (end, removal) still get the frames addressed to them.
    const recipients = new Set([...before, ...this.connected()]);
    for (const effect of result.effects) {
      if (effect.kind === "deliver") {
        for (const identity of recipients) if (isAddressedTo(effect.audience, identity)) this.box(identity).push(effect.frame);
        // Frames to someone in the lobby (not a member yet) are still delivered to their socket.
        if (effect.audience.kind === "only")
          for (const id of effect.audience.identities) if (!this.state.members[id]) this.box(id).push(effect.frame);
      }
      if (effect.kind === "replay") this.box(effect.identity).push(...effect.frames);
    }
    return result;
  }

  private connected() {
    return Object.values(this.state.members)
      .filter((m) => m.connected)
      .map((m) => m.identity);
  }

  box(identity: string) {
    if (!this.inbox.has(identity)) this.inbox.set(identity, []);
    return this.inbox.get(identity)!;
  }

  hello(who: Participant, resumeFromSeq?: number) {
    return this.dispatch({
      kind: "hello",
      participant: who,
      frame: { id: "h", type: "hello", protocolVersion: 1, ...(resumeFromSeq !== undefined ? { resumeFromSeq } : {}) },
      iceServers: ice,
    });
  }

  send(identity: string, frame: Exclude<ClientFrame, { type: "hello" }>) {
    return this.dispatch({ kind: "frame", identity, frame, iceServers: ice });
  }

  last(identity: string) {
    return this.box(identity).at(-1);
  }

  types(identity: string) {
    return this.box(identity).map((f) => f.type);
  }
}

describe("joining", () => {
  it("welcomes a participant with the roster, and tells the others", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.hello(person("bob"));
    const welcome = room.box("bob").find((f) => f.type === "welcome");
    expect(welcome).toMatchObject({ self: { identity: "bob", role: "participant" }, iceServers: ice });
    expect(welcome?.type === "welcome" && welcome.roster.map((r) => r.identity)).toEqual(["alice", "bob"]);
    expect(room.last("alice")).toMatchObject({ type: "participant_joined", participant: { identity: "bob" } });
    expect(room.effects).toContainEqual(expect.objectContaining({ kind: "record_join", identity: "bob", role: "participant" }));
  });

  it("refuses a client speaking another protocol version", () => {
    const room = new Room();
    room.dispatch({ kind: "hello", participant: person("x"), frame: { id: "h", type: "hello", protocolVersion: 9 }, iceServers: [] });
    expect(room.last("x")).toMatchObject({ type: "error", code: "invalid_frame" });
    expect(room.effects).toContainEqual(expect.objectContaining({ kind: "close", identity: "x" }));
    expect(room.state.members).toEqual({});
  });

  it("refuses joiners beyond maxParticipants with meeting_full", () => {
    const room = new Room({ maxParticipants: 1 });
    room.hello(person("a", "host"));
    room.hello(person("b"));
    expect(room.last("b")).toMatchObject({ type: "error", code: "meeting_full" });
    expect(Object.keys(room.state.members)).toEqual(["a"]);
  });
});

describe("sequence numbers and resume", () => {
  it("stamps strictly increasing seqs and replays exactly what a dropped participant missed", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.hello(person("bob"));
    const bobLastSeq = room.last("bob")!.seq;
    room.dispatch({ kind: "disconnected", identity: "bob", clean: false });
    room.send("alice", { id: "c1", type: "chat_send", clientMessageId: "msg-00001", body: "while you were away", attachments: [] });
    room.send("alice", { id: "s1", type: "signal", to: "bob", payload: { kind: "offer", sdp: "v=0" } });
    room.now += 5_000;
    room.inbox.set("bob", []);
    room.hello(person("bob"), bobLastSeq);
    const got = room.box("bob");
    expect(got.map((f) => f.type)).toEqual(["chat_message", "signal", "resumed"]);
    const seqs = got.map((f) => f.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(seqs[0]).toBeGreaterThan(bobLastSeq);
  });

  it("sends a fresh welcome when the resume point is unknown", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.dispatch({ kind: "disconnected", identity: "alice", clean: false });
    room.hello(person("alice", "host"), 9_999);
    expect(room.last("alice")).toMatchObject({ type: "welcome" });
  });

  it("announces a participant who starts over with a fresh welcome, so peers rebuild their links to it", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.hello(person("bob"));
    room.dispatch({ kind: "disconnected", identity: "bob", clean: false });
    room.hello(person("bob"), 9_999);
    expect(room.last("bob")).toMatchObject({ type: "welcome" });
    expect(room.last("alice")).toMatchObject({ type: "participant_joined", participant: { identity: "bob" } });
    expect(room.box("bob").filter((f) => f.type === "participant_joined" && f.participant.identity === "bob")).toEqual([]);
    // A successful resume keeps the links: nobody is told anything.
    const aliceFrames = room.box("alice").length;
    room.dispatch({ kind: "disconnected", identity: "bob", clean: false });
    room.hello(person("bob"), room.box("bob").at(-1)!.seq);
    expect(room.last("bob")).toMatchObject({ type: "resumed" });
    expect(room.box("alice")).toHaveLength(aliceFrames);
  });

  it("removes a dropped participant after the grace window, and asks the others to rotate E2EE keys", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.hello(person("bob"));
    const dropped = room.dispatch({ kind: "disconnected", identity: "bob", clean: false });
    expect(dropped.nextAlarmAt).toBe(room.now + 30_000);
    room.now += 30_000;
    room.dispatch({ kind: "tick" });
    expect(room.state.members.bob).toBeUndefined();
    expect(room.types("alice").slice(-2)).toEqual(["participant_left", "e2ee_rotate"]);
    expect(room.effects).toContainEqual(expect.objectContaining({ kind: "record_leave", identity: "bob", reason: "timeout" }));
  });

  it("closes a silent connection after the heartbeat timeout, within the liveness refresh after it", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    const refresh = livenessRefreshMs(room.state.settings);
    room.now += 60_000;
    room.dispatch({ kind: "tick" });
    expect(room.effects).not.toContainEqual(expect.objectContaining({ kind: "close" }));
    room.now += refresh;
    const closed = room.dispatch({ kind: "tick" });
    expect(closed.effects).toContainEqual({ kind: "close", identity: "alice", code: 4004, reason: "heartbeat timeout" });
    expect(room.state.members.alice?.connected).toBe(false);
  });

  it("writes a frame's liveness down only once it is a refresh old, and never closes before the timeout of real silence", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.hello(person("bob"));
    const refresh = livenessRefreshMs(room.state.settings);
    const joinedAt = room.now;
    const members = room.state.members;
    // Frames within the refresh leave the roster object as it was: nothing to copy, nothing to store.
    room.now += refresh - 1;
    room.send("bob", { id: "p1", type: "ping" });
    expect(room.state.members).toBe(members);
    expect(room.state.members.bob?.lastSeenAt).toBe(joinedAt);
    // Bob's real last frame is just before the refresh: he is still in at the timeout counted from it.
    room.now = joinedAt + refresh - 1 + 60_000 - 1;
    room.dispatch({ kind: "tick" });
    expect(room.state.members.bob?.connected).toBe(true);
    // A frame a refresh or more after the last written one is written down.
    const seenAt = room.now;
    room.send("bob", { id: "p2", type: "ping" });
    expect(room.state.members.bob?.lastSeenAt).toBe(seenAt);
    // Alice, silent since she joined, is the next deadline; then Bob's, counted from his written frame.
    const { nextAlarmAt } = room.dispatch({ kind: "tick" });
    expect(nextAlarmAt).toBe(joinedAt + refresh + 60_000);
    room.now = nextAlarmAt!;
    // Alice is closed and her grace window runs; Bob's heartbeat counts from his written frame.
    expect(room.dispatch({ kind: "tick" }).nextAlarmAt).toBe(room.now + 30_000);
    expect(room.state.members.alice?.connected).toBe(false);
    expect(room.state.members.bob?.connected).toBe(true);
    expect(silenceDeadline(room.state.members.bob!, room.state.settings)).toBe(seenAt + refresh + 60_000);
  });
});

describe("signaling, chat and E2EE relay", () => {
  it("relays signals only to the named peer in the same meeting", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    room.hello(person("b"));
    room.hello(person("c"));
    room.send("a", { id: "s", type: "signal", to: "b", payload: { kind: "ice", candidate: { candidate: "candidate:1" } } });
    expect(room.last("b")).toMatchObject({ type: "signal", from: "a" });
    expect(room.types("c")).not.toContain("signal");
    room.send("a", { id: "s2", type: "signal", to: "stranger", payload: { kind: "offer", sdp: "x" } });
    expect(room.last("a")).toMatchObject({ type: "error", code: "not_found", ref: "s2" });
  });

  it("stores a resent chat message once and acknowledges the resend to its sender only", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    room.hello(person("b"));
    const frame = { id: "c", type: "chat_send" as const, clientMessageId: "dup-000001", body: "hi", attachments: [] };
    room.send("b", frame);
    room.send("b", { ...frame, id: "c2" });
    expect(room.box("a").filter((f) => f.type === "chat_message")).toHaveLength(1);
    expect(room.box("b").filter((f) => f.type === "chat_message")).toHaveLength(2);
    expect(room.state.chat.messages).toHaveLength(1);
    expect(room.effects.filter((e) => e.kind === "persist_chat")).toHaveLength(1);
  });

  it("lets the author edit, refuses others, and lets a host delete", () => {
    const room = new Room();
    room.hello(person("h", "host"));
    room.hello(person("a"));
    room.hello(person("b"));
    room.send("a", { id: "c", type: "chat_send", clientMessageId: "msg-000001", body: "tpyo", attachments: [] });
    room.send("a", { id: "e", type: "chat_edit", messageSeq: 1, body: "typo" });
    expect(room.last("b")).toMatchObject({ type: "chat_updated", message: { body: "typo" } });
    room.send("b", { id: "e2", type: "chat_edit", messageSeq: 1, body: "hijack" });
    expect(room.last("b")).toMatchObject({ type: "error", code: "forbidden", ref: "e2" });
    room.send("h", { id: "d", type: "chat_delete", messageSeq: 1 });
    expect(room.last("a")).toMatchObject({ type: "chat_updated", message: { deleted: true, body: "" } });
  });

  it("pages chat history newest first", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    for (let i = 1; i <= 5; i++)
      room.send("a", { id: `c${i}`, type: "chat_send", clientMessageId: `msg-00000${i}`, body: `m${i}`, attachments: [] });
    room.send("a", { id: "hist", type: "chat_history", beforeSeq: 4, limit: 2 });
    const page = room.last("a");
    expect(page).toMatchObject({ type: "chat_history", ref: "hist", hasMore: true });
    expect(page?.type === "chat_history" && page.messages.map((m) => m.body)).toEqual(["m3", "m2"]);
  });

  it("relays E2EE public keys and key packages without reading them", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    room.hello(person("b"));
    room.send("a", { id: "k", type: "e2ee_publish_key", publicKey: { kty: "OKP", crv: "X25519", x: "abc" } });
    expect(room.last("b")).toMatchObject({ type: "e2ee_key", identity: "a", publicKey: { x: "abc" } });
    room.send("a", { id: "p", type: "e2ee_key_package", to: "b", keyId: 1, ciphertext: "opaque", iv: "iv" });
    expect(room.last("b")).toEqual(expect.objectContaining({ type: "e2ee_key_package", from: "a", ciphertext: "opaque" }));
  });

  it("hands attachment uploads to the shell only within limits", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    room.send("a", { id: "u1", type: "attachment_upload", name: "x.exe", contentType: "application/x-msdownload", sizeBytes: 10 });
    expect(room.last("a")).toMatchObject({ type: "error", code: "attachment_rejected", ref: "u1" });
    room.send("a", { id: "u2", type: "attachment_upload", name: "big.png", contentType: "image/png", sizeBytes: 100 * 1024 * 1024 });
    expect(room.last("a")).toMatchObject({ type: "error", code: "attachment_rejected", ref: "u2" });
    room.send("a", { id: "u3", type: "attachment_upload", name: "ok.png", contentType: "image/png", sizeBytes: 1000 });
    expect(room.effects.at(-1)).toMatchObject({ kind: "presign_upload", ref: "u3", contentType: "image/png" });
  });

  it("hands out download links only for attachments of this meeting, and refuses messages citing other keys", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    const own = "0b0c5f0e-3d0a-4c1e-9a49-9d7f1f2b3c4d/m1/attachments/7e1f4a2b-9c3d-4e5f-8a6b-1c2d3e4f5a6b/notes.txt";
    const otherMeeting = own.replace("/m1/", "/m2/");
    const otherTenant = own.replace(tenant, "ffffffff-3d0a-4c1e-9a49-9d7f1f2b3c4d");
    room.send("a", { id: "d1", type: "attachment_download", objectKey: otherMeeting });
    expect(room.last("a")).toMatchObject({ type: "error", code: "not_found", ref: "d1" });
    room.send("a", { id: "d0", type: "attachment_download", objectKey: otherTenant });
    expect(room.last("a")).toMatchObject({ type: "error", code: "not_found", ref: "d0" });
    room.send("a", { id: "d2", type: "attachment_download", objectKey: `${own}/../../secret` });
    expect(room.last("a")).toMatchObject({ type: "error", code: "not_found", ref: "d2" });
    room.send("a", { id: "d3", type: "attachment_download", objectKey: own });
    expect(room.effects.at(-1)).toEqual({ kind: "presign_download", identity: "a", ref: "d3", objectKey: own });
    room.dispatch({
      kind: "download_ready",
      identity: "a",
      ref: "d3",
      objectKey: own,
      downloadUrl: "http://s3/x",
      expiresAt: "2026-11-24T10:05:00Z",
    });
    expect(room.last("a")).toMatchObject({ type: "attachment_download", ref: "d3", objectKey: own, downloadUrl: "http://s3/x" });

    const cite = (objectKey: string, id: string) =>
      room.send("a", {
        id,
        type: "chat_send",
        clientMessageId: `cite-${id}-xx`,
        body: "see file",
        attachments: [{ objectKey, name: "n.txt", contentType: "text/plain", sizeBytes: 5 }],
      });
    cite(otherMeeting, "c1");
    expect(room.last("a")).toMatchObject({ type: "error", code: "attachment_rejected", ref: "c1" });
    cite(otherTenant, "c0");
    expect(room.last("a")).toMatchObject({ type: "error", code: "attachment_rejected", ref: "c0" });
    cite(own, "c2");
    expect(room.last("a")).toMatchObject({ type: "chat_message", message: { attachments: [{ objectKey: own }] } });
  });

  it("completes a history page from the archive when the window runs out, and says so when the archive is away", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    room.state = { ...room.state, chat: { ...room.state.chat, windowSize: 3 } };
    for (let i = 1; i <= 6; i++) {
      room.send("a", { id: `s${i}`, type: "chat_send", clientMessageId: `history-${i}-x`, body: `m${i}`, attachments: [] });
      const persisted = room.state.chat.messages.map((m) => ({ seq: m.seq, revision: m.revision }));
      room.dispatch({ kind: "chat_persisted", flushed: persisted });
    }
    const windowSeqs = room.state.chat.messages.map((m) => m.seq);
    expect(windowSeqs.length).toBeLessThanOrEqual(4);
    room.send("a", { id: "h1", type: "chat_history", limit: 5 });
    const load = room.effects.at(-1);
    expect(load).toMatchObject({
      kind: "load_chat_history",
      identity: "a",
      ref: "h1",
      beforeSeq: windowSeqs[0],
      limit: 5 - windowSeqs.length,
    });
    if (load?.kind !== "load_chat_history") throw new Error("expected a history load");
    expect(load.window.map((m) => m.seq)).toEqual([...windowSeqs].reverse());
    const archived = [{ ...load.window[0]!, seq: windowSeqs[0]! - 1, body: "from postgres" }];
    room.dispatch({ kind: "history_loaded", identity: "a", ref: "h1", window: load.window, archived, hasMore: true });
    expect(room.last("a")).toMatchObject({ type: "chat_history", ref: "h1", hasMore: true });
    const page = room.last("a");
    if (page?.type !== "chat_history") throw new Error("expected a page");
    expect(page.messages.map((m) => m.seq)).toEqual([...[...windowSeqs].reverse(), windowSeqs[0]! - 1]);
  });

  it("tells each joiner the meeting's title", () => {
    const room = new Room();
    room.state = { ...room.state, settings: { ...room.state.settings, title: "Weekly sync" } };
    room.hello(person("a"));
    expect(room.last("a")).toMatchObject({ type: "welcome", title: "Weekly sync" });
  });
});

describe("host controls", () => {
  const setup = () => {
    const room = new Room();
    room.hello(person("h", "host"));
    room.hello(person("p"));
    room.hello(person("q"));
    return room;
  };

  it("a host mutes a participant: the target is told and everyone sees the new state", () => {
    const room = setup();
    room.send("h", { id: "m", type: "mute", target: "p", track: "audio" });
    expect(room.box("p").filter((f) => f.type === "muted")).toHaveLength(1);
    expect(room.last("q")).toMatchObject({ type: "participant_updated", participant: { identity: "p", audioMuted: true } });
  });

  it.each([
    ["mute", { type: "mute", target: "q", track: "audio" }],
    ["mute_all", { type: "mute_all", track: "video" }],
    ["remove", { type: "remove", target: "q" }],
    ["lock", { type: "lock", locked: true }],
    ["end_meeting", { type: "end_meeting" }],
    ["set_role", { type: "set_role", target: "q", role: "cohost" }],
    ["spotlight", { type: "spotlight", target: "q" }],
    ["admit", { type: "admit", target: "q" }],
    ["deny", { type: "deny", target: "q" }],
  ])("a participant attempting %s gets forbidden and nothing changes", (_name, frame) => {
    const room = setup();
    const before = room.state.members;
    room.send("p", { id: "x", ...frame } as Exclude<ClientFrame, { type: "hello" }>);
    expect(room.last("p")).toMatchObject({ type: "error", code: "forbidden", ref: "x" });
    expect(room.state.members).toEqual(before);
    expect(room.state.endedReason).toBeNull();
  });

  it("remove closes the target, tells the others, and the same token cannot rejoin", () => {
    const room = setup();
    room.send("h", { id: "r", type: "remove", target: "q" });
    expect(room.box("q").some((f) => f.type === "removed")).toBe(true);
    expect(room.effects).toContainEqual({ kind: "close", identity: "q", code: 4001, reason: "removed by a host" });
    expect(room.last("p")).toMatchObject({ type: "e2ee_rotate", reason: "participant_removed" });
    room.hello(person("q"));
    expect(room.last("q")).toMatchObject({ type: "error", code: "forbidden" });
    expect(room.state.members.q).toBeUndefined();
  });

  it("lock keeps new participants out but lets hosts in", () => {
    const room = setup();
    room.send("h", { id: "l", type: "lock", locked: true });
    room.hello(person("late"));
    expect(room.last("late")).toMatchObject({ type: "error", code: "meeting_locked" });
    room.hello(person("h2", "host"));
    expect(room.state.members.h2).toBeDefined();
  });

  it("promote to cohost, spotlight, and end for everyone", () => {
    const room = setup();
    room.send("h", { id: "r", type: "set_role", target: "p", role: "cohost" });
    expect(room.state.members.p?.role).toBe("cohost");
    room.send("p", { id: "s", type: "spotlight", target: "q" });
    expect(room.state.spotlight).toBe("q");
    room.send("p", { id: "e", type: "end_meeting" });
    expect(room.last("p")).toMatchObject({ type: "error", code: "forbidden" });
    room.send("h", { id: "e2", type: "end_meeting" });
    expect(room.state.endedReason).toBe("ended_by_host");
    expect(room.effects.filter((e) => e.kind === "close" && e.code === 4000)).toHaveLength(3);
  });
});

describe("waiting room", () => {
  it("holds a participant until a host admits them", () => {
    const room = new Room({ waitingRoom: true });
    room.hello(person("h", "host"));
    room.hello(person("g", "guest"));
    expect(room.last("g")).toMatchObject({ type: "waiting_room" });
    expect(room.last("h")).toMatchObject({ type: "lobby_updated", lobby: [expect.objectContaining({ identity: "g" })] });
    room.send("g", { id: "c", type: "chat_send", clientMessageId: "msg-000001", body: "let me in", attachments: [] });
    expect(room.last("g")).toMatchObject({ type: "error", code: "in_waiting_room" });
    room.send("h", { id: "a", type: "admit", target: "g" });
    expect(room.box("g").some((f) => f.type === "welcome")).toBe(true);
    expect(room.state.members.g?.role).toBe("guest");
  });

  it("a denied guest is closed and cannot come back with the same token", () => {
    const room = new Room({ waitingRoom: true });
    room.hello(person("h", "host"));
    room.hello(person("g", "guest"));
    room.send("h", { id: "d", type: "deny", target: "g" });
    expect(room.last("g")).toMatchObject({ type: "denied" });
    expect(room.effects).toContainEqual({ kind: "close", identity: "g", code: 4003, reason: "denied by a host" });
    room.hello(person("g", "guest"));
    expect(room.last("g")).toMatchObject({ type: "error", code: "forbidden" });
  });
});

describe("meeting lifecycle alarms", () => {
  it("ends the meeting at its scheduled end and reports the session", () => {
    const room = new Room();
    room.state = { ...room.state, settings: { ...room.state.settings, scheduledEndAt: 50_000 } };
    room.hello(person("a", "host"));
    room.hello(person("b"));
    const idle = room.dispatch({ kind: "tick" });
    expect(idle.nextAlarmAt).toBe(50_000);
    room.now = 50_000;
    room.dispatch({ kind: "tick" });
    expect(room.state.endedReason).toBe("scheduled_end");
    expect(room.last("b")).toMatchObject({ type: "meeting_ended", reason: "scheduled_end" });
    expect(room.effects).toContainEqual(
      expect.objectContaining({ kind: "record_session_end", peakParticipants: 2, reason: "scheduled_end" }),
    );
  });

  it("ends an emptied meeting after the idle timeout, unless someone comes back", () => {
    const room = new Room();
    room.hello(person("a", "host"));
    const left = room.dispatch({ kind: "disconnected", identity: "a", clean: true });
    expect(left.nextAlarmAt).toBe(room.now + 5 * 60_000);
    room.now += 60_000;
    room.hello(person("b", "host"));
    room.now += 5 * 60_000;
    room.dispatch({ kind: "tick" });
    expect(room.state.endedReason).toBeNull();
    room.dispatch({ kind: "disconnected", identity: "b", clean: true });
    room.now += 5 * 60_000;
    room.dispatch({ kind: "tick" });
    expect(room.state.endedReason).toBe("idle");
    expect(room.dispatch({ kind: "tick" }).nextAlarmAt).toBeNull();
  });
});

describe("settings arrive as an event", () => {
  const settings: MeetingRoomSettings = {
    title: "Standup",
    sfuThreshold: 7,
    locationHint: { continent: "EU", country: "DE", latitude: 50.1, longitude: 8.7 },
    waitingRoom: true,
    maxParticipants: 12,
    scheduledEndAt: "2026-11-24T11:00:00.000Z",
    autoRecord: false,
    recordingConsent: false,
  };
  const configure = (over: Partial<MeetingRoomSettings> = {}): RoomEvent => ({
    kind: "configure",
    meetingId: "m1",
    tenantId: tenant,
    settings: { ...settings, ...over },
  });

  it("a first connect creates the room with the tenant and settings; no other event creates one", () => {
    const born = roomBornOf(configure())!;
    const state = reduce(born, configure(), 1_000).state;
    expect(state).toMatchObject({ meetingId: "m1", tenantId: tenant, locationHint: settings.locationHint });
    expect(state.settings).toMatchObject({
      title: "Standup",
      sfuThreshold: 7,
      waitingRoom: true,
      maxParticipants: 12,
      scheduledEndAt: Date.parse("2026-11-24T11:00:00.000Z"),
    });
    expect(state.lobby.enabled).toBe(true);
    expect(roomBornOf({ kind: "tick" })).toBeUndefined();
    expect(roomBornOf({ kind: "end", reason: "api" })).toBeUndefined();
  });

  it("a later connect takes in edited settings but keeps the first joiner's location and everything else", () => {
    const room = new Room();
    room.dispatch(configure());
    room.hello(person("alice", "host"));
    const result = room.dispatch(configure({ title: "Retro", waitingRoom: false, scheduledEndAt: null, locationHint: null }));
    expect(result.effects).toEqual([]);
    expect(room.state.settings).toMatchObject({ title: "Retro", waitingRoom: false, scheduledEndAt: null });
    expect(room.state.locationHint).toEqual(settings.locationHint);
    expect(room.state.lobby.enabled).toBe(false);
    expect(Object.keys(room.state.members)).toEqual(["alice"]);
  });

  it("a scheduled end set through the API moves the room's next alarm", () => {
    const room = new Room();
    room.now = Date.parse("2026-11-24T10:00:00.000Z");
    expect(room.dispatch(configure({ scheduledEndAt: null })).nextAlarmAt).toBeNull();
    expect(room.dispatch(configure()).nextAlarmAt).toBe(Date.parse("2026-11-24T11:00:00.000Z"));
  });

  it("an ended room still takes in settings and settles its outbox, but seats nobody", () => {
    const room = new Room();
    room.hello(person("alice", "host"));
    room.send("alice", { id: "c1", type: "chat_send", clientMessageId: "msg-00001", body: "hi", attachments: [] });
    room.dispatch({ kind: "end", reason: "api" });
    room.dispatch(configure({ title: "After" }));
    expect(room.state.settings.title).toBe("After");
    const message = room.state.chat.messages[0]!;
    room.dispatch({ kind: "chat_dead_lettered", messages: [{ seq: message.seq, revision: message.revision }] });
    expect(room.state.chat.messages[0]!.persisted).toBe(true);
  });
});
