import { afterEach, describe, expect, it, vi } from "vitest";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../../protocol/server-frames.ts";
import { coalesceWindow, coalesceWindowMs } from "../core/coalesce-window.ts";
import { RoomSockets } from "./room-sockets.ts";

/** A socket that records what was sent and whether it was closed, tagged with its identity. */
class FakeSocket {
  readonly sent: string[] = [];
  closedWith: number | undefined;
  constructor(public identity: string) {}
  serializeAttachment() {}
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
  const ctx = {
    getWebSockets: (tag?: string) => sockets.filter((s) => tag === undefined || s.identity === tag),
    acceptWebSocket: (socket: FakeSocket, tags: string[]) => {
      socket.identity = tags[0]!;
      sockets.push(socket);
    },
  };
  const turns: Array<{ flush: () => void; delayMs: number; at: number }> = [];
  const delays: number[] = [];
  const clock = { now: 1_000 };
  const roomSockets = new RoomSockets(
    ctx as unknown as DurableObjectState,
    (flush, delayMs) => {
      turns.push({ flush, delayMs, at: clock.now + delayMs });
      delays.push(delayMs);
    },
    () => clock.now,
  );
  /** Runs what is due by the clock, earliest first (a timer's time, not its place in the list). */
  const runDue = () => {
    for (;;) {
      const due = turns.filter((t) => t.at <= clock.now).sort((x, y) => x.at - y.at)[0];
      if (!due) return;
      turns.splice(turns.indexOf(due), 1);
      due.flush();
    }
  };
  /** Runs everything scheduled, delayed flushes included (the window has passed too). */
  const endTurn = () => {
    for (const { flush } of turns.splice(0)) flush();
  };
  /** Runs only what was scheduled for the end of the turn; flushes waiting out a window stay pending. */
  const endTurnOnly = () => {
    const due = turns.filter((t) => t.delayMs === 0);
    for (const t of due) turns.splice(turns.indexOf(t), 1);
    for (const { flush } of due) flush();
  };
  return { sockets, roomSockets, endTurn, endTurnOnly, runDue, turnsScheduled: () => turns.length, delays, clock };
}

const pong = (seq: number, ref = `r${seq}`): ServerFrame => ({ type: "pong", seq, ref });
const chat = (seq: number): ServerFrame => ({
  type: "chat_message",
  seq,
  message: {
    seq,
    clientMessageId: `c${seq}`,
    sender: "x",
    body: "hi",
    attachments: [],
    reactions: {},
    sentAt: "2026-01-01T00:00:00Z",
    editedAt: null,
    deleted: false,
  },
});
const joined = (seq: number, identity: string): ServerFrame => ({
  type: "participant_joined",
  seq,
  participant: {
    identity,
    role: "guest",
    audioMuted: false,
    videoMuted: false,
    handRaised: false,
    connectionQuality: "good",
    joinedAt: "2026-01-01T00:00:00Z",
  },
});

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
    // One flush at the end of the turn per send group with a socket: a and b are dealt into two of them.
    expect(turnsScheduled()).toBe(2);
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

  it("a frame that leaves a socket out still does when it overflows the batch for everyone", () => {
    const { sockets, roomSockets, endTurn } = room(["a", "b"]);
    const big = "x".repeat(30_000);
    roomSockets.deliver({ kind: "all" }, pong(1, big));
    roomSockets.deliver({ kind: "all" }, pong(2, big));
    roomSockets.deliver({ kind: "all_except", identities: ["a"] }, pong(3, big));
    roomSockets.deliver({ kind: "all" }, pong(4, big));
    endTurn();
    const [a, b] = sockets;
    expect(a!.frames().map((f) => f.seq)).toEqual([1, 2, 4]);
    expect(b!.frames().map((f) => f.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe("room sockets coalesce across events only under load", () => {
  it("a quiet room flushes at the end of the turn; a flush soon after another waits out the rest of the window", () => {
    const { roomSockets, endTurn, delays, clock } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, chat(1));
    endTurn();
    clock.now += 3;
    roomSockets.deliver({ kind: "all" }, chat(2));
    endTurn();
    clock.now += coalesceWindow.minMs + 1;
    roomSockets.deliver({ kind: "all" }, chat(3));
    expect(delays).toEqual([0, coalesceWindow.minMs - 3, 0]);
  });

  it("a larger room waits out a longer window, and every socket gets the same frames in one message", () => {
    const identities = Array.from({ length: 300 }, (_, i) => `p${i}`);
    const { sockets, roomSockets, endTurn, delays, clock } = room(identities);
    roomSockets.deliver({ kind: "all" }, chat(1));
    endTurn();
    clock.now += 3;
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.deliver({ kind: "all_except", identities: ["p7"] }, chat(3));
    endTurn();
    const windowMs = coalesceWindowMs(300);
    expect(windowMs).toBeGreaterThan(coalesceWindow.minMs);
    // Each send group flushed at the end of the quiet turn; under load they flush at staggered moments of the window.
    const groups = coalesceWindow.sendGroups;
    expect(delays).toEqual([
      ...Array.from({ length: groups }, () => 0),
      ...Array.from({ length: groups }, (_, g) => windowMs - 3 - (g / groups) * windowMs),
    ]);
    expect(sockets.every((s) => s.sent.length === 2)).toBe(true);
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(sockets[7]!.frames().map((f) => f.seq)).toEqual([1, 2]);
    expect(sockets[299]!.frames().map((f) => f.seq)).toEqual([1, 2, 3]);
  });

  it("under a steady load each send group flushes once a window, the groups a fraction of a window apart", () => {
    const groups = coalesceWindow.sendGroups;
    const identities = Array.from({ length: groups * 2 }, (_, i) => `p${i}`);
    const { sockets, roomSockets, runDue, clock } = room(identities);
    const windowMs = coalesceWindowMs(identities.length);
    const receivedAt = new Map<FakeSocket, number[]>(sockets.map((s) => [s, []]));
    for (const socket of sockets) {
      const send = socket.send.bind(socket);
      socket.send = (text: string) => {
        receivedAt.get(socket)!.push(clock.now);
        send(text);
      };
    }
    // A frame for everyone twice per gap between two groups' flushes, for ten windows.
    const stepMs = windowMs / groups / 2;
    let seq = 0;
    for (let step = 0; step < groups * 2 * 10; step++) {
      roomSockets.deliver({ kind: "all" }, chat(++seq));
      runDue();
      clock.now += stepMs;
    }
    clock.now += windowMs;
    runDue();
    // Sockets are dealt into the groups in turn, so socket i is in group i % groups.
    const steady = (socket: FakeSocket) => receivedAt.get(socket)!.slice(2, -1);
    for (const socket of sockets) {
      const times = steady(socket);
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(times.slice(1).map(() => windowMs));
      expect(socket.frames().map((f) => f.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    }
    const phases = sockets.slice(0, groups).map((socket) => steady(socket)[0]! % windowMs);
    const gaps = [...phases].sort((x, y) => x - y).map((phase, i, all) => (i ? phase - all[i - 1]! : 0));
    expect(gaps.slice(1)).toEqual(gaps.slice(1).map(() => windowMs / groups));
  });

  it("frames a little over a staggered group's first window apart do not make it flush every turn", () => {
    const groups = coalesceWindow.sendGroups;
    const identities = Array.from({ length: groups }, (_, i) => `p${i}`);
    const { sockets, roomSockets, runDue, clock } = room(identities);
    const windowMs = coalesceWindowMs(identities.length);
    // A frame every half window for 20 windows: each socket needs one message a window, not one a frame.
    let seq = 0;
    for (let step = 0; step < 40; step++) {
      roomSockets.deliver({ kind: "all" }, chat(++seq));
      runDue();
      clock.now += windowMs / 2;
    }
    clock.now += windowMs * 2;
    runDue();
    for (const socket of sockets) {
      expect(socket.sent.length).toBeLessThanOrEqual(20 + 2);
      expect(socket.frames().map((f) => f.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    }
  });

  describe("a socket accepted while frames wait", () => {
    afterEach(() => vi.unstubAllGlobals());

    it("gets only the frames after it; everyone else gets them all, in one message built once", () => {
      // The runtime's side of an accept, as fakes: a socket pair and a 101 answer.
      vi.stubGlobal(
        "WebSocketPair",
        class {
          0 = new FakeSocket("client");
          1 = new FakeSocket("server");
        },
      );
      vi.stubGlobal(
        "Response",
        class {
          constructor(
            readonly body: unknown,
            readonly init: unknown,
          ) {}
        },
      );
      const { sockets, roomSockets, endTurn } = room(["a", "b"]);
      roomSockets.deliver({ kind: "all" }, chat(1));
      const claims = { identity: "c" } as unknown as Parameters<RoomSockets["accept"]>[0];
      roomSockets.accept(claims, 4000);
      roomSockets.deliver({ kind: "all" }, chat(2));
      roomSockets.deliver({ kind: "all_except", identities: ["a"] }, chat(3));
      endTurn();
      const [a, b, c] = sockets;
      expect(c!.identity).toBe("c");
      expect(c!.frames().map((f) => f.seq)).toEqual([2, 3]);
      expect(a!.frames().map((f) => f.seq)).toEqual([1, 2]);
      expect(b!.frames().map((f) => f.seq)).toEqual([1, 2, 3]);
      expect(b!.sent).toHaveLength(1);
    });
  });

  it("asks the runtime for its sockets again after one joins or leaves", () => {
    const { sockets, roomSockets, endTurn } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, pong(1));
    endTurn();
    sockets.push(new FakeSocket("b"));
    roomSockets.forget();
    roomSockets.deliver({ kind: "all" }, pong(2));
    endTurn();
    expect(sockets[1]!.frames().map((f) => f.seq)).toEqual([2]);
  });
});

describe("control frames go first when the room is saturated with chat", () => {
  /** A room that just flushed, so the next flush waits out the coalescing window: the state a chat flood keeps it in. */
  function saturated(identities: string[]) {
    const r = room(identities);
    r.roomSockets.deliver({ kind: "all" }, pong(1));
    r.endTurn();
    r.clock.now += 2;
    for (const s of r.sockets) s.sent.length = 0;
    return r;
  }

  it("a control frame flushes its socket's queue, chat queued before it included, at the end of the turn in seq order", () => {
    const { sockets, roomSockets, endTurnOnly, endTurn } = saturated(["a", "b"]);
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.deliver({ kind: "all" }, chat(3));
    roomSockets.deliver({ kind: "only", identities: ["a"] }, joined(4, "c"));
    roomSockets.deliver({ kind: "all" }, chat(5));
    endTurnOnly();
    const [a, b] = sockets;
    expect(a!.frames().map((f) => f.seq)).toEqual([2, 3, 4, 5]);
    expect(b!.sent).toEqual([]);
    endTurn();
    expect(a!.frames().map((f) => f.seq)).toEqual([2, 3, 4, 5]);
    expect(b!.frames().map((f) => f.seq)).toEqual([2, 3, 5]);
  });

  it("chat queued after the control frame's flush waits for the window and still follows in seq order", () => {
    const { sockets, roomSockets, endTurnOnly, endTurn } = saturated(["a"]);
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.deliver({ kind: "all" }, joined(3, "c"));
    endTurnOnly();
    roomSockets.deliver({ kind: "all" }, chat(4));
    endTurnOnly();
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([2, 3]);
    endTurn();
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([2, 3, 4]);
  });

  it("a chat-only socket waits out the window", () => {
    const { sockets, roomSockets, endTurnOnly, endTurn, delays } = saturated(["a"]);
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.replay("a", [chat(3)]);
    endTurnOnly();
    expect(sockets[0]!.sent).toEqual([]);
    expect(delays.at(-1)).toBe(coalesceWindow.minMs - 2);
    endTurn();
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([2, 3]);
  });

  it("a replayed control frame and a bare error count as control too", () => {
    const { sockets, roomSockets, endTurnOnly } = saturated(["a", "b"]);
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.replay("a", [chat(3), joined(4, "c")]);
    roomSockets.sendBare(sockets[1] as unknown as WebSocket, { type: "error", code: "rate_limited", message: "slow down" });
    endTurnOnly();
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([2, 3, 4]);
    expect(sockets[1]!.sent.map((t) => JSON.parse(t).type)).toEqual(["batch"]);
  });

  it("in a quiet room a control frame schedules nothing extra: one flush at the end of the turn", () => {
    const { sockets, roomSockets, endTurnOnly, delays } = room(["a"]);
    roomSockets.deliver({ kind: "all" }, chat(1));
    roomSockets.deliver({ kind: "all" }, joined(2, "c"));
    expect(delays).toEqual([0]);
    endTurnOnly();
    expect(sockets[0]!.sent).toHaveLength(1);
    expect(sockets[0]!.frames().map((f) => f.seq)).toEqual([1, 2]);
  });
});

describe("the room's writes go before its sends", () => {
  it("runs the before-send hook ahead of every send: a flush, an urgent flush, an oversized queue and a close", () => {
    const { sockets, roomSockets, endTurn, endTurnOnly } = room(["a", "b"]);
    const log: string[] = [];
    for (const socket of sockets) {
      const send = socket.send.bind(socket);
      socket.send = (text: string) => {
        log.push(`send ${socket.identity}`);
        send(text);
      };
    }
    roomSockets.onBeforeSend(() => log.push("write"));

    roomSockets.deliver({ kind: "all" }, chat(1));
    expect(roomSockets.hasQueued()).toBe(true);
    expect(log).toEqual([]);
    endTurn();
    // a and b are in different send groups: each group's flush writes first.
    expect(log).toEqual(["write", "send a", "write", "send b"]);
    expect(roomSockets.hasQueued()).toBe(false);

    // Under load a chat frame waits out the window; a control frame for one socket goes at the end of the turn.
    log.length = 0;
    roomSockets.deliver({ kind: "all" }, chat(2));
    roomSockets.deliver({ kind: "only", identities: ["a"] }, pong(3));
    endTurnOnly();
    expect(log).toEqual(["write", "send a"]);
    endTurn();
    expect(log).toEqual(["write", "send a", "write", "send b"]);

    log.length = 0;
    roomSockets.deliver({ kind: "all" }, chat(4));
    roomSockets.close("a", 4001, "removed");
    expect(log.slice(0, 2)).toEqual(["write", "send a"]);
  });
});
