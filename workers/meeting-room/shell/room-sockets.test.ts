import { describe, expect, it } from "vitest";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../../protocol/server-frames.ts";
import { coalesceWindowMs, RoomSockets } from "./room-sockets.ts";

/** A socket that records what was sent and whether it was closed, tagged with its identity. */
class FakeSocket {
  readonly sent: string[] = [];
  closedWith: number | undefined;
  constructor(readonly identity: string) {}
  send(text: string) {
    if (this.closedWith !== undefined) throw new Error("closed");
    this.sent.push(text);
  }
  close(code: number) {
    this.closedWith = code;
  }
  deserializeAttachment() {
    return { identity: this.identity };
  }
  frames(): ServerFrame[] {
    return this.sent.flatMap((text) => framesOf(serverMessageSchema.parse(JSON.parse(text))));
  }
}

function room(identities: string[]) {
  const sockets = identities.map((identity) => new FakeSocket(identity));
  const ctx = { getWebSockets: (tag?: string) => sockets.filter((s) => tag === undefined || s.identity === tag) };
  const turns: Array<() => void> = [];
  const delays: number[] = [];
  const clock = { now: 1_000 };
  const roomSockets = new RoomSockets(
    ctx as unknown as DurableObjectState,
    (flush, delayMs) => {
      turns.push(flush);
      delays.push(delayMs);
    },
    () => clock.now,
  );
  const endTurn = () => {
    for (const flush of turns.splice(0)) flush();
  };
  return { sockets, roomSockets, endTurn, turnsScheduled: () => turns.length, delays, clock };
}

const pong = (seq: number, ref = `r${seq}`): ServerFrame => ({ type: "pong", seq, ref });

describe("room sockets coalesce what one turn sends to a socket", () => {
  it("a lone frame goes out as itself at the end of the turn", () => {
    const { sockets, roomSockets, endTurn } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    expect(sockets[0]!.sent).toEqual([]);
    endTurn();
    expect(sockets[0]!.sent.map((t) => JSON.parse(t))).toEqual([pong(1)]);
  });

  it("several frames for a socket go out as one batch in seq order; each socket gets only its own", () => {
    const { sockets, roomSockets, endTurn, turnsScheduled } = room(["a", "b"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    roomSockets.deliver({ kind: "only", identities: ["b"] }, pong(2));
    roomSockets.deliver({ kind: "all_except", identities: ["b"] }, pong(3));
    roomSockets.replay("a", [pong(4), pong(5)]);
    expect(turnsScheduled()).toBe(1);
    endTurn();
    const [a, b] = sockets;
    expect(a!.sent).toHaveLength(1);
    expect(JSON.parse(a!.sent[0]!).type).toBe("batch");
    expect(a!.frames().map((f) => f.seq)).toEqual([1, 3, 4, 5]);
    expect(b!.frames().map((f) => f.seq)).toEqual([1, 2]);
  });

  it("a close sends what is queued for the socket first, then closes it", () => {
    const { sockets, roomSockets, endTurn } = room(["a", "b"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    roomSockets.close("a", 4001, "removed");
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([1]);
    expect(sockets[0]!.closedWith).toBe(4001);
    endTurn();
    expect(sockets[0]!.sent).toHaveLength(1);
    expect(sockets[1]!.frames().map((f) => f.seq)).toEqual([1]);
  });

  it("the next turn starts a new message", () => {
    const { sockets, roomSockets, endTurn } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    endTurn();
    roomSockets.deliver({ kind: "all" }, pong(2));
    endTurn();
    expect(sockets[0]!.sent.map((t) => JSON.parse(t).seq)).toEqual([1, 2]);
  });
});

describe("room sockets keep batches bounded", () => {
  it("frames past 64 KiB queued for one socket go out as more than one message, still in seq order", () => {
    const { sockets, roomSockets, endTurn } = room(["a"]);
    const big = "x".repeat(30_000);
    for (let seq = 1; seq <= 5; seq++) roomSockets.deliver({ kind: "all" }, pong(seq, big));
    endTurn();
    const [a] = sockets;
    expect(a!.sent.length).toBeGreaterThan(1);
    expect(Math.max(...a!.sent.map((t) => t.length))).toBeLessThan(70_000);
    expect(a!.frames().map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("room sockets coalesce across events only under load", () => {
  it("a quiet room flushes at the end of the turn; a flush soon after another waits out the rest of the window", () => {
    const { roomSockets, endTurn, delays, clock } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    endTurn();
    clock.now += 3;
    roomSockets.deliver({ kind: "all" }, pong(2));
    endTurn();
    clock.now += coalesceWindowMs + 1;
    roomSockets.deliver({ kind: "all" }, pong(3));
    expect(delays).toEqual([0, coalesceWindowMs - 3, 0]);
  });
});
