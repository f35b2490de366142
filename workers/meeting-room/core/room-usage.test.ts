import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reduce } from "./room-reducer.ts";
import { createRoomState, type Participant, type RoomEvent, type RoomState } from "./room-state.ts";
import type { RoomEffect } from "./room-transition.ts";

const person = (identity: string, role: Participant["role"] = "participant"): Participant => ({
  identity,
  role,
  tokenId: `t-${identity}`,
  tokenExpiresAt: new Date(9e12),
});

/** Drives the reducer at chosen times and keeps the usage it bills. */
class Room {
  state: RoomState = createRoomState("m1", { waitingRoom: false, sfuThreshold: 3 }, "tenant");
  usage: Extract<RoomEffect, { kind: "record_usage" }>["usage"][] = [];
  at(now: number, event: RoomEvent) {
    const result = reduce(this.state, event, now);
    this.state = result.state;
    for (const effect of result.effects) if (effect.kind === "record_usage") this.usage.push(effect.usage);
  }
  join(now: number, identity: string) {
    this.at(now, {
      kind: "hello",
      participant: person(identity, identity === "host" ? "host" : "participant"),
      frame: { id: "h", type: "hello", protocolVersion: 1 },
      iceServers: [],
    });
  }
  leave(now: number, identity: string) {
    this.at(now, { kind: "disconnected", identity, clean: true });
  }
  of(kind: string) {
    return this.usage.filter((u) => u.kind === kind);
  }
  total(kind: string) {
    return this.of(kind).reduce((sum, u) => sum + (Date.parse(u.periodEnd) - Date.parse(u.periodStart)), 0);
  }
}

const session = (identity: string, joinedAt: number) => ({
  roomSid: "RM_a",
  participantSid: `PA_${identity}`,
  joinedAt: new Date(joinedAt).toISOString(),
});
const onSfu = (identity: string, joinedAt: number): RoomEvent => ({
  kind: "media",
  event: { kind: "sfu_participant", identity, connected: true, at: new Date(joinedAt).toISOString(), session: session(identity, joinedAt) },
});

describe("the room bills its own usage", () => {
  it("peer-to-peer time runs from each join to each leave while media is peer to peer", () => {
    const room = new Room();
    room.join(1_000, "host");
    room.join(3_500, "p2");
    room.leave(10_000, "p2");
    room.at(20_000, { kind: "end", reason: "api" });
    expect(room.of("p2p_participant_seconds").map((u) => [u.sourceId, u.periodStart, u.periodEnd])).toEqual([
      ["room:p2p:m1:p2:3500", new Date(3_500).toISOString(), new Date(10_000).toISOString()],
      ["room:p2p:m1:host:1000", new Date(1_000).toISOString(), new Date(20_000).toISOString()],
    ]);
  });

  it("peer-to-peer time stops when the SFU takes over, and SFU sessions still open at the end are billed to the end", () => {
    const room = new Room();
    for (const [i, who] of ["host", "p2", "p3"].entries()) room.join(1_000 * (i + 1), who);
    room.at(4_000, { kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    expect(room.total("p2p_participant_seconds")).toBe(3_000 + 2_000 + 1_000);
    room.at(5_000, onSfu("p2", 5_000));
    room.at(6_000, onSfu("p3", 6_000));
    // p3's participant_left webhook is lost: the room's own leave fact ends the session.
    room.leave(9_000, "p3");
    room.at(12_000, { kind: "end", reason: "api" });
    const sfu = room.of("sfu_participant_seconds");
    expect(sfu.map((u) => [u.sourceId, u.periodEnd])).toEqual([
      ["livekit:RM_a:PA_p3", new Date(9_000).toISOString()],
      ["livekit:RM_a:PA_p2", new Date(12_000).toISOString()],
    ]);
    // Nothing more is p2p after the switch.
    expect(room.total("p2p_participant_seconds")).toBe(6_000);
  });

  it("a node that dies with nowhere to move to: its sessions end at the first trouble reported, and peer-to-peer time starts when everyone is told", () => {
    const room = new Room();
    for (const [i, who] of ["host", "p2", "p3"].entries()) room.join(1_000 * (i + 1), who);
    room.at(4_000, { kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    room.at(5_000, onSfu("p2", 5_000));
    room.at(6_000, { kind: "frame", identity: "p2", frame: { id: "t", type: "media_trouble" } });
    room.at(7_000, { kind: "media_probed", nodeId: "node-a", healthy: false });
    room.at(8_000, { kind: "media_placement_failed", reason: "no node" });
    expect(room.of("sfu_participant_seconds").map((u) => u.periodEnd)).toEqual([new Date(6_000).toISOString()]);
    room.at(10_000, { kind: "end", reason: "api" });
    const after = room.of("p2p_participant_seconds").filter((u) => u.periodStart === new Date(8_000).toISOString());
    expect(after).toHaveLength(3);
    expect(after.every((u) => u.periodEnd === new Date(10_000).toISOString())).toBe(true);
  });

  it("a meeting moved off a failed node: its sessions there end at the first trouble reported, or when the room concluded", () => {
    const reported = new Room();
    for (const [i, who] of ["host", "p2", "p3"].entries()) reported.join(1_000 * (i + 1), who);
    reported.at(4_000, { kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    reported.at(5_000, onSfu("p2", 5_000));
    reported.at(6_500, { kind: "frame", identity: "p3", frame: { id: "t", type: "media_trouble" } });
    reported.at(7_000, { kind: "media_probed", nodeId: "node-a", healthy: false });
    reported.at(9_000, { kind: "media_placed", nodeId: "node-b", url: "http://node-b" });
    expect(reported.of("sfu_participant_seconds").map((u) => [u.sourceId, u.periodEnd])).toEqual([
      ["livekit:RM_a:PA_p2", new Date(6_500).toISOString()],
    ]);

    const silent = new Room();
    for (const [i, who] of ["host", "p2", "p3"].entries()) silent.join(1_000 * (i + 1), who);
    silent.at(4_000, { kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    silent.at(5_000, onSfu("p2", 5_000));
    // Nobody reports: two failed probes in a row fail the node.
    silent.at(9_000, { kind: "tick" });
    silent.at(9_100, { kind: "media_probed", nodeId: "node-a", healthy: false });
    silent.at(10_100, { kind: "tick" });
    silent.at(10_200, { kind: "media_probed", nodeId: "node-a", healthy: false });
    silent.at(12_000, { kind: "media_placed", nodeId: "node-b", url: "http://node-b" });
    expect(silent.of("sfu_participant_seconds").map((u) => u.periodEnd)).toEqual([new Date(10_200).toISOString()]);
  });

  it("someone leaving while the meeting is being moved off a failed node is billed there to the failure, not the leave", () => {
    const room = new Room();
    for (const [i, who] of ["host", "p2", "p3"].entries()) room.join(1_000 * (i + 1), who);
    room.at(4_000, { kind: "media_placed", nodeId: "node-a", url: "http://node-a" });
    room.at(5_000, onSfu("p2", 5_000));
    room.at(6_000, { kind: "frame", identity: "p2", frame: { id: "t", type: "media_trouble" } });
    room.at(7_000, { kind: "media_probed", nodeId: "node-a", healthy: false });
    room.leave(8_000, "p2");
    room.at(9_000, { kind: "media_placed", nodeId: "node-b", url: "http://node-b" });
    expect(room.of("sfu_participant_seconds").map((u) => u.periodEnd)).toEqual([new Date(6_000).toISOString()]);
    // Not peer to peer either: leaving a failed node is not a p2p stretch.
    expect(room.of("p2p_participant_seconds").every((u) => Date.parse(u.periodEnd) <= 4_000)).toBe(true);
  });

  it("property: in a meeting that stays peer to peer, billed time equals Σ(leave − join) and every source id is distinct", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.nat({ max: 60_000 })), { minLength: 1, maxLength: 40 }), (steps) => {
        const room = new Room();
        room.state = createRoomState("m1", { waitingRoom: false, sfuThreshold: 100 }, "tenant");
        let now = 1_000;
        const joinedAt = new Map<string, number>();
        let expected = 0;
        for (const [n, [who, gap]] of steps.entries()) {
          now += gap + 1;
          const identity = `u${who}`;
          const since = joinedAt.get(identity);
          if (since === undefined) {
            room.join(now, identity);
            joinedAt.set(identity, now);
          } else {
            room.leave(now, identity);
            expected += now - since;
            joinedAt.delete(identity);
          }
          if (n === steps.length - 1) {
            now += 1;
            room.at(now, { kind: "end", reason: "api" });
            for (const since2 of joinedAt.values()) expected += now - since2;
          }
        }
        expect(room.total("p2p_participant_seconds")).toBe(expected);
        const ids = room.usage.map((u) => u.sourceId);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });
});
