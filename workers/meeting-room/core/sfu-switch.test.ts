import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../../../protocol/server-frames.ts";
import { reduce } from "./room-reducer.ts";
import { createRoomState, type Participant, type RoomEvent, type RoomState } from "./room-state.ts";
import type { RoomEffect } from "./room-transition.ts";

const person = (identity: string, role: Participant["role"] = "participant"): Participant => ({
  identity,
  role,
  tokenId: `t-${identity}`,
  tokenExpiresAt: new Date(9e12),
});

class Room {
  state: RoomState = createRoomState("m1", { waitingRoom: false, sfuThreshold: 3 }, "tenant");
  frames: Array<{ to: string[] | "all" | { except: string[] }; frame: ServerFrame }> = [];
  effects: RoomEffect[] = [];
  now = 1000;
  dispatch(event: RoomEvent) {
    const result = reduce(this.state, event, this.now++);
    this.state = result.state;
    for (const effect of result.effects) {
      if (effect.kind === "deliver") {
        const a = effect.audience;
        this.frames.push({
          to: a.kind === "all" ? "all" : a.kind === "only" ? a.identities : { except: a.identities },
          frame: effect.frame,
        });
      } else this.effects.push(effect);
    }
    return result;
  }
  join(who: Participant) {
    return this.dispatch({ kind: "hello", participant: who, frame: { id: "h", type: "hello", protocolVersion: 1 }, iceServers: [] });
  }
  effectsOf<K extends RoomEffect["kind"]>(kind: K) {
    return this.effects.filter((e): e is Extract<RoomEffect, { kind: K }> => e.kind === kind);
  }
  framesOf<K extends ServerFrame["type"]>(type: K) {
    return this.frames.filter((f) => f.frame.type === type) as Array<{
      to: string[] | "all" | { except: string[] };
      frame: Extract<ServerFrame, { type: K }>;
    }>;
  }
}

const grant = (identity: string, url = "ws://node-a") => ({ identity, url, token: `jwt-${identity}`, expiresAt: "2026-11-24T13:00:00Z" });

function switchedRoom() {
  const room = new Room();
  room.join(person("host", "host"));
  room.join(person("p2"));
  room.join(person("p3"));
  room.dispatch({ kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
  room.dispatch({ kind: "sfu_grants", nodeId: "node-a", grants: ["host", "p2", "p3"].map((i) => grant(i)) });
  return room;
}

describe("peer to peer → SFU", () => {
  it("stays peer to peer below the threshold, and asks for placement when it is reached", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.join(person("p2"));
    expect(room.effectsOf("place_media")).toEqual([]);
    expect(room.framesOf("welcome").every((f) => f.frame.mediaMode === "p2p")).toBe(true);
    room.join(person("p3"));
    expect(room.effectsOf("place_media")).toEqual([{ kind: "place_media", hint: null, expectedParticipants: 3 }]);
    expect(room.state.mediaMode).toEqual({ kind: "placing", excludeNodeId: undefined, p2pSince: 0 });
    // A fourth joiner while placing does not ask again.
    room.join(person("p4"));
    expect(room.effectsOf("place_media")).toHaveLength(1);
  });

  it("once placed, tells everyone and hands each member its own SFU credentials", () => {
    const room = switchedRoom();
    expect(room.framesOf("media_mode").map((f) => [f.to, f.frame.mode])).toEqual([["all", "sfu"]]);
    expect(room.effectsOf("grant_sfu")).toEqual([{ kind: "grant_sfu", nodeId: "node-a", identities: ["host", "p2", "p3"] }]);
    const joins = room.framesOf("sfu_join");
    expect(joins.map((f) => f.to)).toEqual([["host"], ["p2"], ["p3"]]);
    expect(joins.map((f) => f.frame.token)).toEqual(["jwt-host", "jwt-p2", "jwt-p3"]);
  });

  it("a later joiner is welcomed in sfu mode and gets credentials of its own", () => {
    const room = switchedRoom();
    room.join(person("late"));
    expect(room.framesOf("welcome").at(-1)?.frame.mediaMode).toBe("sfu");
    expect(room.effectsOf("grant_sfu").at(-1)).toEqual({ kind: "grant_sfu", nodeId: "node-a", identities: ["late"] });
  });

  it("stays peer to peer when no node can take the meeting, and tries again on the next join", () => {
    const room = new Room();
    for (const i of ["host", "p2", "p3"]) room.join(person(i));
    room.dispatch({ kind: "media_placement_failed", reason: "no_healthy_node" });
    expect(room.state.mediaMode).toEqual({ kind: "p2p" });
    expect(room.framesOf("media_mode")).toEqual([]);
    room.join(person("p4"));
    expect(room.effectsOf("place_media")).toHaveLength(2);
  });

  it("ignores credentials for a node the meeting has left and placements that arrive after the end", () => {
    const room = switchedRoom();
    const before = room.framesOf("sfu_join").length;
    room.dispatch({ kind: "sfu_grants", nodeId: "node-old", grants: [grant("host", "ws://old")] });
    expect(room.framesOf("sfu_join")).toHaveLength(before);
    const ended = new Room();
    for (const i of ["host", "p2", "p3"]) ended.join(person(i, i === "host" ? "host" : "participant"));
    ended.dispatch({ kind: "end", reason: "api" });
    ended.dispatch({ kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    expect(ended.state.mediaMode).toEqual({ kind: "p2p" });
    expect(ended.effectsOf("grant_sfu")).toEqual([]);
  });

  it("a failing node moves the meeting: placed again elsewhere and everyone gets new credentials", () => {
    const room = switchedRoom();
    room.dispatch({ kind: "frame", identity: "p2", frame: { id: "t1", type: "media_trouble" } });
    expect(room.effectsOf("probe_media")).toEqual([{ kind: "probe_media", nodeId: "node-a" }]);
    const session = { roomSid: "RM_a", participantSid: "PA_p2", joinedAt: new Date(room.now - 60_000).toISOString() };
    room.dispatch({ kind: "media", event: { kind: "sfu_participant", identity: "p2", connected: true, at: session.joinedAt, session } });
    // The probe p2's report asked for fails: corroborated by p2, one failure is enough.
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.effectsOf("place_media").at(-1)).toMatchObject({ excludeNodeId: "node-a", expectedParticipants: 3 });
    room.dispatch({ kind: "media_placed", nodeId: "node-b", url: "http://node-b" });
    room.dispatch({ kind: "sfu_grants", nodeId: "node-b", grants: ["host", "p2", "p3"].map((i) => grant(i, "ws://node-b")) });
    expect(
      room
        .framesOf("sfu_join")
        .slice(-3)
        .map((f) => f.frame.url),
    ).toEqual(["ws://node-b", "ws://node-b", "ws://node-b"]);
    // The dead node never reported p2 leaving; the room forgets who was on it and bills p2's session there itself,
    // under the key the webhook would have used.
    expect(room.framesOf("media_state").at(-1)?.frame).toMatchObject({ sfuActive: false, onSfu: {} });
    const usage = room.effectsOf("record_usage").filter((e) => e.usage.kind === "sfu_participant_seconds");
    expect(usage).toHaveLength(1);
    expect(usage[0]!.usage).toMatchObject({ kind: "sfu_participant_seconds", sourceId: "livekit:RM_a:PA_p2" });
    expect(usage[0]!.usage.quantity).toBeGreaterThanOrEqual(60);
    // Moving is not a mode change for clients: only the new credentials.
    expect(room.framesOf("media_mode")).toHaveLength(1);
    // A late answer about the old node changes nothing.
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.state.mediaMode).toMatchObject({ kind: "sfu", nodeId: "node-b", url: "http://node-b" });
    expect(room.effectsOf("place_media")).toHaveLength(2);
  });

  it("on the SFU the room checks its node every few seconds on its own, without waiting for a client's report", () => {
    const room = switchedRoom();
    const placedAt = room.now;
    const due = room.dispatch({ kind: "tick" }).nextAlarmAt;
    expect(due).toBeLessThanOrEqual(placedAt + 5_000);
    expect(room.effectsOf("probe_media")).toEqual([]);
    room.now = placedAt + 5_000;
    room.dispatch({ kind: "tick" });
    expect(room.effectsOf("probe_media")).toEqual([{ kind: "probe_media", nodeId: "node-a" }]);
    const after = room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: true });
    expect(after.nextAlarmAt).toBeLessThanOrEqual(placedAt + 10_000);
  });

  it("with nobody reporting trouble, one failed probe is checked again within a second, and a second failure moves", () => {
    const room = switchedRoom();
    room.now += 5_000;
    room.dispatch({ kind: "tick" });
    const probedAt = room.now;
    const suspect = room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.effectsOf("place_media")).toHaveLength(1);
    expect(room.state.mediaMode).toMatchObject({ kind: "sfu", nodeId: "node-a" });
    expect(suspect.nextAlarmAt).toBeLessThanOrEqual(probedAt + 1_000);
    room.now = suspect.nextAlarmAt!;
    room.dispatch({ kind: "tick" });
    expect(room.effectsOf("probe_media")).toHaveLength(2);
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.effectsOf("place_media").at(-1)).toMatchObject({ excludeNodeId: "node-a" });
  });

  it("a blip (one failed probe, then a good one) keeps the meeting where it is", () => {
    const room = switchedRoom();
    room.now += 5_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    room.now += 1_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: true });
    room.now += 5_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.effectsOf("place_media")).toHaveLength(1);
    expect(room.framesOf("sfu_join")).toHaveLength(3);
  });

  it("trouble reports alone never move a meeting whose node answers: one client's network, or a client lying", () => {
    const room = switchedRoom();
    let answered = 0;
    for (let round = 0; round < 20; round++) {
      for (const who of ["host", "p2", "p3"])
        room.dispatch({ kind: "frame", identity: who, frame: { id: `t${round}${who}`, type: "media_trouble" } });
      // The shell answers every probe asked: the node is up.
      for (; answered < room.effectsOf("probe_media").length; answered++)
        room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: true });
      room.now += 500;
    }
    expect(room.effectsOf("place_media")).toHaveLength(1);
    // Reports while a probe is in flight wait for its answer: one probe a round, not one a report.
    expect(room.effectsOf("probe_media")).toHaveLength(20);
  });

  it("a report right after a failed probe moves at once, without waiting for another probe", () => {
    const room = switchedRoom();
    room.now += 5_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    room.dispatch({ kind: "frame", identity: "p3", frame: { id: "t1", type: "media_trouble" } });
    expect(room.effectsOf("probe_media")).toHaveLength(1);
    expect(room.effectsOf("place_media").at(-1)).toMatchObject({ excludeNodeId: "node-a" });
  });

  it("what the rule has seen survives the room being evicted between two probes (the state is plain JSON)", () => {
    const room = switchedRoom();
    room.now += 5_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    // Hibernation or eviction: the room comes back from storage, not from memory.
    room.state = JSON.parse(JSON.stringify(room.state)) as RoomState;
    room.now += 1_000;
    room.dispatch({ kind: "tick" });
    room.dispatch({ kind: "media_probed", nodeId: "node-a", healthy: false });
    expect(room.effectsOf("place_media").at(-1)).toMatchObject({ excludeNodeId: "node-a" });
  });

  it("a meeting stored before the rule kept state is checked on its next alarm", () => {
    const room = switchedRoom();
    room.state = { ...room.state, mediaMode: { kind: "sfu", nodeId: "node-a", url: "http://node-a" } };
    const result = room.dispatch({ kind: "tick" });
    expect(room.effectsOf("probe_media")).toEqual([{ kind: "probe_media", nodeId: "node-a" }]);
    expect(result.nextAlarmAt).toBeLessThanOrEqual(room.now + 5_000);
  });

  it("host controls are carried out on the SFU too, attributed to the host's frame", () => {
    const room = switchedRoom();
    room.dispatch({ kind: "frame", identity: "host", frame: { id: "m1", type: "mute", target: "p2", track: "audio" } });
    room.dispatch({ kind: "frame", identity: "host", frame: { id: "r1", type: "remove", target: "p3" } });
    room.dispatch({ kind: "frame", identity: "host", frame: { id: "e1", type: "end_meeting" } });
    expect(room.effectsOf("sfu_moderate").map((e) => [e.action, e.by, e.ref])).toEqual([
      [{ kind: "mute", identity: "p2", track: "audio" }, "host", "m1"],
      [{ kind: "remove", identity: "p3" }, "host", "r1"],
      [{ kind: "close_room" }, "host", undefined],
    ]);
  });

  it("peer-to-peer meetings never touch the SFU for host controls", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.join(person("p2"));
    room.dispatch({ kind: "frame", identity: "host", frame: { id: "m1", type: "mute", target: "p2", track: "audio" } });
    expect(room.effectsOf("sfu_moderate")).toEqual([]);
  });
});
