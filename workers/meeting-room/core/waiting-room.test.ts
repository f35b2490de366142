import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  admit,
  arrive,
  createWaitingRoom,
  deny,
  depart,
  isDeniedToken,
  lobby,
  parseWaitingRoomState,
  pruneDeniedTokens,
  setLocked,
  type Arrival,
  type WaitingRoomState,
} from "./waiting-room.ts";

const t0 = new Date("2031-05-06T07:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const tokenExpiresAt = at(3600);

const guest = (identity: string, tokenId = `jti-${identity}`, extra: Partial<Arrival> = {}): Arrival => ({
  identity,
  name: identity.toUpperCase(),
  role: "guest",
  tokenId,
  tokenExpiresAt,
  ...extra,
});

/** Unwraps an ok result's state; fails the test loudly otherwise. */
function ok<R extends { ok: boolean }>(result: R): Extract<R, { ok: true }> {
  expect(result).toMatchObject({ ok: true });
  return result as Extract<R, { ok: true }>;
}

const lobbyRoom = () => createWaitingRoom({ enabled: true });

describe("arrive", () => {
  it.each(["host", "cohost"] as const)("a %s bypasses the waiting room", (role) => {
    const result = ok(arrive(lobbyRoom(), guest("h", "t", { role }), t0));
    expect(result.outcome).toBe("admitted");
    expect(lobby(result.state)).toEqual([]);
    expect(result.state.admitted).toEqual(["h"]);
  });

  it.each(["participant", "guest"] as const)("a %s is queued with the time they arrived", (role) => {
    const result = ok(arrive(lobbyRoom(), guest("p", "t", { role }), at(5)));
    expect(result.outcome).toBe("queued");
    expect(lobby(result.state)).toEqual([{ identity: "p", name: "P", waitingSince: at(5).toISOString() }]);
    expect(result.state.admitted).toEqual([]);
  });

  it("admits everyone directly when the meeting has no waiting room", () => {
    const result = ok(arrive(createWaitingRoom({ enabled: false }), guest("g"), t0));
    expect(result.outcome).toBe("admitted");
    expect(result.state.admitted).toEqual(["g"]);
  });

  it("shows the queue to hosts in arrival order", () => {
    let state = lobbyRoom();
    for (const [i, identity] of ["c", "a", "b"].entries()) state = ok(arrive(state, guest(identity), at(i))).state;
    expect(lobby(state).map((entry) => entry.identity)).toEqual(["c", "a", "b"]);
  });

  it("omits the name of someone who gave none", () => {
    const state = ok(arrive(lobbyRoom(), { identity: "anon", role: "guest", tokenId: "t", tokenExpiresAt }, t0)).state;
    expect(lobby(state)).toEqual([{ identity: "anon", waitingSince: t0.toISOString() }]);
  });

  it("does not change the state it was given", () => {
    const state = lobbyRoom();
    const before = structuredClone(state);
    arrive(state, guest("g"), t0);
    expect(state).toEqual(before);
  });
});

describe("the same identity arriving twice", () => {
  it("replaces the older lobby entry, keeping its place and waiting time", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "t1"), at(0))).state;
    state = ok(arrive(state, guest("b"), at(1))).state;
    state = ok(arrive(state, guest("a", "t2", { name: "Renamed" }), at(2))).state;
    expect(lobby(state)).toEqual([
      { identity: "a", name: "Renamed", waitingSince: at(0).toISOString() },
      { identity: "b", name: "B", waitingSince: at(1).toISOString() },
    ]);
  });

  it("moves to the meeting if they come back with a host token", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    const result = ok(arrive(state, guest("a", "host-token", { role: "host" }), at(1)));
    state = result.state;
    expect(result.outcome).toBe("admitted");
    expect(lobby(state)).toEqual([]);
    expect(state.admitted).toEqual(["a"]);
  });

  it("is admitted straight away when already admitted (a reconnect), even into a locked meeting", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = ok(admit(state, "a")).state;
    state = setLocked(state, true);
    const result = ok(arrive(state, guest("a"), at(60)));
    expect(result.outcome).toBe("admitted");
    expect(lobby(result.state)).toEqual([]);
  });

  it("keeps its lobby place when the meeting locked while they waited", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "t1"), t0)).state;
    state = setLocked(state, true);
    const result = ok(arrive(state, guest("a", "t2"), at(1)));
    expect(result.outcome).toBe("queued");
    expect(lobby(result.state)).toHaveLength(1);
  });
});

describe("a locked meeting", () => {
  it.each(["participant", "guest"] as const)("refuses a new %s with meeting_locked", (role) => {
    const state = setLocked(lobbyRoom(), true);
    expect(arrive(state, guest("p", "t", { role }), t0)).toMatchObject({ ok: false, code: "meeting_locked" });
  });

  it("refuses new arrivals also when there is no waiting room", () => {
    const state = createWaitingRoom({ enabled: false, locked: true });
    expect(arrive(state, guest("p"), t0)).toMatchObject({ ok: false, code: "meeting_locked" });
  });

  it.each(["host", "cohost"] as const)("still lets a %s in", (role) => {
    const state = setLocked(lobbyRoom(), true);
    expect(ok(arrive(state, guest("h", "t", { role }), t0)).outcome).toBe("admitted");
  });

  it("lets a host still admit someone who was already waiting", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = setLocked(state, true);
    expect(ok(admit(state, "a")).state.admitted).toEqual(["a"]);
  });

  it("takes new arrivals again once unlocked", () => {
    const state = setLocked(setLocked(lobbyRoom(), true), false);
    expect(ok(arrive(state, guest("p"), t0)).outcome).toBe("queued");
  });

  it("setLocked to the current value returns the same state", () => {
    const state = lobbyRoom();
    expect(setLocked(state, false)).toBe(state);
  });
});

describe("admit", () => {
  it("moves a waiting identity into the meeting and returns their entry", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = ok(arrive(state, guest("b"), t0)).state;
    const result = ok(admit(state, "a"));
    expect(result.entry).toMatchObject({ identity: "a", name: "A", role: "guest" });
    expect(result.state.admitted).toEqual(["a"]);
    expect(lobby(result.state).map((entry) => entry.identity)).toEqual(["b"]);
  });

  it("is a no-op for someone already admitted, so two hosts admitting at once both succeed", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = ok(admit(state, "a")).state;
    const again = ok(admit(state, "a"));
    expect(again.entry).toBeNull();
    expect(again.state).toBe(state);
  });

  it("refuses an identity that is not waiting with not_found", () => {
    expect(admit(lobbyRoom(), "nobody")).toMatchObject({ ok: false, code: "not_found" });
  });
});

describe("deny", () => {
  it("removes the identity from the lobby and remembers its token", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "jti-a"), t0)).state;
    const result = ok(deny(state, "a"));
    state = result.state;
    expect(result.entry?.identity).toBe("a");
    expect(lobby(state)).toEqual([]);
    expect(state.admitted).toEqual([]);
    expect(isDeniedToken(state, "jti-a")).toBe(true);
  });

  it("means the same token can never rejoin, even after the waiting room is off and the lock lifted", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "jti-a"), t0)).state;
    state = ok(deny(state, "a")).state;
    state = { ...state, enabled: false };
    expect(arrive(state, guest("a", "jti-a"), at(10))).toMatchObject({ ok: false, code: "forbidden" });
    expect(arrive(state, guest("someone-else", "jti-a"), at(10))).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("refuses a denied token even if it claims a host role", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "jti-a"), t0)).state;
    state = ok(deny(state, "a")).state;
    expect(arrive(state, guest("a", "jti-a", { role: "host" }), at(1))).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("covers every token the identity waited with, not just the newest", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "t1"), t0)).state;
    state = ok(arrive(state, guest("a", "t2"), at(1))).state;
    state = ok(deny(state, "a")).state;
    expect(isDeniedToken(state, "t1")).toBe(true);
    expect(isDeniedToken(state, "t2")).toBe(true);
  });

  it("lets the same identity queue again with a fresh token: the tenant issued it deliberately", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "t1"), t0)).state;
    state = ok(deny(state, "a")).state;
    expect(ok(arrive(state, guest("a", "t2"), at(1))).outcome).toBe("queued");
  });

  it("blocks admitting anyone else waiting with the same token (a replayed token): the denial wins", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "shared"), t0)).state;
    state = ok(arrive(state, guest("b", "shared"), t0)).state;
    state = ok(deny(state, "a")).state;
    expect(admit(state, "b")).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("refuses an identity that is not waiting with not_found", () => {
    expect(deny(lobbyRoom(), "nobody")).toMatchObject({ ok: false, code: "not_found" });
  });

  it("refuses an identity that is already in the meeting with not_found: that is `remove`", () => {
    const state = ok(arrive(lobbyRoom(), guest("h", "t", { role: "host" }), t0)).state;
    expect(deny(state, "h")).toMatchObject({ ok: false, code: "not_found" });
  });
});

describe("the denied-token set is bounded by token expiry", () => {
  it("forgets a denial once its token has expired", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "old", { tokenExpiresAt: at(60) }), t0)).state;
    state = ok(deny(state, "a")).state;
    expect(isDeniedToken(pruneDeniedTokens(state, at(59)), "old")).toBe(true);
    expect(isDeniedToken(pruneDeniedTokens(state, at(60)), "old")).toBe(false);
  });

  it("is pruned on every arrival", () => {
    let state = ok(arrive(lobbyRoom(), guest("a", "old", { tokenExpiresAt: at(60) }), t0)).state;
    state = ok(deny(state, "a")).state;
    state = ok(arrive(state, guest("b"), at(61))).state;
    expect(state.deniedTokens).toEqual({});
  });

  it("returns the same state when nothing expired", () => {
    const state = lobbyRoom();
    expect(pruneDeniedTokens(state, t0)).toBe(state);
  });
});

describe("depart", () => {
  it("takes a waiting identity out of the lobby", () => {
    const state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    expect(lobby(depart(state, "a"))).toEqual([]);
  });

  it("makes a departed participant's next arrival a new one that waits again", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = depart(ok(admit(state, "a")).state, "a");
    expect(state.admitted).toEqual([]);
    expect(ok(arrive(state, guest("a"), at(5))).outcome).toBe("queued");
  });
});

describe("persisted form", () => {
  it("round-trips through JSON and the schema", () => {
    let state = ok(arrive(lobbyRoom(), guest("a"), t0)).state;
    state = ok(arrive(state, guest("b", "tb"), t0)).state;
    state = ok(arrive(state, guest("h", "th", { role: "host" }), t0)).state;
    state = ok(deny(state, "b")).state;
    state = setLocked(state, true);
    expect(parseWaitingRoomState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it.each([
    ["null", null],
    ["a missing queue", { enabled: true, locked: false, admitted: [], deniedTokens: {} }],
    [
      "a lobby entry without a token",
      {
        enabled: true,
        locked: false,
        queue: [{ identity: "a", role: "guest", tokens: [], waitingSince: t0.toISOString() }],
        admitted: [],
        deniedTokens: {},
      },
    ],
    [
      "an unknown role",
      {
        enabled: true,
        locked: false,
        queue: [{ identity: "a", role: "owner", tokens: [{ id: "t", expiresAt: t0.toISOString() }], waitingSince: t0.toISOString() }],
        admitted: [],
        deniedTokens: {},
      },
    ],
    ["a denial with no valid expiry", { enabled: true, locked: false, queue: [], admitted: [], deniedTokens: { t: "tomorrow" } }],
  ])("rejects a corrupt stored value: %s", (_label, stored) => {
    expect(() => parseWaitingRoomState(stored)).toThrow();
  });
});

describe("invariants under any sequence of events", () => {
  const identities = ["a", "b", "c", "d"];
  const tokenIds = ["t1", "t2", "t3", "t4", "t5"];
  const event = fc.oneof(
    fc.record({
      kind: fc.constant("arrive" as const),
      identity: fc.constantFrom(...identities),
      tokenId: fc.constantFrom(...tokenIds),
      role: fc.constantFrom("host" as const, "cohost" as const, "participant" as const, "guest" as const),
      expiresIn: fc.integer({ min: 1, max: 600 }),
    }),
    fc.record({ kind: fc.constantFrom("admit" as const, "deny" as const, "depart" as const), identity: fc.constantFrom(...identities) }),
    fc.record({ kind: fc.constant("lock" as const), locked: fc.boolean() }),
    fc.record({ kind: fc.constant("tick" as const), seconds: fc.integer({ min: 0, max: 120 }) }),
  );

  it("never holds an identity both queued and admitted, never twice in the queue, and never admits a denied token", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(event, { maxLength: 60 }), (enabled, events) => {
        let state: WaitingRoomState = createWaitingRoom({ enabled });
        let now = t0;
        for (const e of events) {
          if (e.kind === "tick") now = new Date(now.getTime() + e.seconds * 1000);
          else if (e.kind === "lock") state = setLocked(state, e.locked);
          else if (e.kind === "depart") state = depart(state, e.identity);
          else if (e.kind === "admit" || e.kind === "deny") {
            const result = e.kind === "admit" ? admit(state, e.identity) : deny(state, e.identity);
            if (result.ok && e.kind === "admit" && result.entry) {
              for (const token of result.entry.tokens) expect(isDeniedToken(state, token.id)).toBe(false);
            }
            if (result.ok) state = result.state;
          } else if (e.kind === "arrive") {
            const arrival = {
              identity: e.identity,
              role: e.role,
              tokenId: e.tokenId,
              tokenExpiresAt: new Date(now.getTime() + e.expiresIn * 1000),
            };
            const deniedBefore = isDeniedToken(pruneDeniedTokens(state, now), e.tokenId);
            const result = arrive(state, arrival, now);
            if (deniedBefore) expect(result).toMatchObject({ ok: false, code: "forbidden" });
            if (result.ok) state = result.state;
          }

          const queued = state.queue.map((entry) => entry.identity);
          expect(new Set(queued).size).toBe(queued.length);
          expect(new Set(state.admitted).size).toBe(state.admitted.length);
          for (const identity of queued) expect(state.admitted).not.toContain(identity);
          expect(parseWaitingRoomState(JSON.parse(JSON.stringify(state)))).toEqual(state);
        }
      }),
      { numRuns: 300 },
    );
  });
});
