import { describe, expect, it } from "vitest";
import { identityHolder, mayTakeIdentity } from "./identity-holder.ts";
import { reduce } from "./room-reducer.ts";
import { createRoomState, type Participant, type RoomState } from "./room-state.ts";

const hello = (state: RoomState, who: Participant) =>
  reduce(state, { kind: "hello", participant: who, frame: { id: "h", type: "hello", protocolVersion: 1 }, iceServers: [] }, 1_000).state;
const person = (identity: string, role: Participant["role"], mintedBy?: string): Participant => ({
  identity,
  role,
  tokenId: `t-${identity}-${mintedBy ?? "server"}`,
  tokenExpiresAt: new Date(3_600_000),
  ...(mintedBy ? { mintedBy } : {}),
});

describe("who may take an identity the room holds", () => {
  it("anyone, when nobody holds it", () => {
    expect(mayTakeIdentity(undefined, { mintedBy: "mo" })).toBe(true);
    expect(mayTakeIdentity(undefined, {})).toBe(true);
  });

  it("the person whose token holds it, and the tenant's server; nobody else", () => {
    expect(mayTakeIdentity({ mintedBy: "hana" }, { mintedBy: "hana" })).toBe(true);
    expect(mayTakeIdentity({ mintedBy: "hana" }, {})).toBe(true);
    expect(mayTakeIdentity({ mintedBy: "hana" }, { mintedBy: "mo" })).toBe(false);
    // Held by the server's token (one of the tenant's own users): no signed-in person may take it.
    expect(mayTakeIdentity({}, { mintedBy: "mo" })).toBe(false);
    expect(mayTakeIdentity({}, {})).toBe(true);
  });

  it("finds the holder in the seats, then in the lobby, with who minted its token", () => {
    let state = createRoomState("m1", { waitingRoom: true }, "tenant-1");
    state = hello(state, person("hana", "host", "hana"));
    state = hello(state, person("guest", "participant", "mo"));
    expect(identityHolder(state, "hana")).toMatchObject({ mintedBy: "hana", role: "host" });
    expect(state.lobby.queue.map((e) => e.identity)).toEqual(["guest"]);
    expect(identityHolder(state, "guest")).toMatchObject({ mintedBy: "mo" });
    expect(identityHolder(state, "nobody")).toBeUndefined();
    // Admitted, the seat keeps who minted the token it waited with.
    state = reduce(
      state,
      { kind: "frame", identity: "hana", frame: { id: "a", type: "admit", target: "guest" }, iceServers: [] },
      2_000,
    ).state;
    expect(state.members.guest).toMatchObject({ mintedBy: "mo" });
  });

  it("never shows who minted a token to the room: rosters and updates carry no mintedBy", () => {
    let state = createRoomState("m1", { waitingRoom: false }, "tenant-1");
    state = hello(state, person("hana", "host", "hana"));
    const result = reduce(
      state,
      {
        kind: "hello",
        participant: person("mo", "participant", "mo"),
        frame: { id: "h", type: "hello", protocolVersion: 1 },
        iceServers: [],
      },
      1_000,
    );
    const frames = result.effects.flatMap((effect) => (effect.kind === "deliver" ? [effect.frame] : []));
    expect(frames.length).toBeGreaterThan(0);
    expect(JSON.stringify(frames)).not.toContain("mintedBy");
    const raised = reduce(result.state, { kind: "frame", identity: "mo", frame: { id: "r", type: "presence", handRaised: true } }, 2_000);
    expect(raised.effects.some((effect) => effect.kind === "deliver" && effect.frame.type === "participant_updated")).toBe(true);
    expect(JSON.stringify(raised.effects)).not.toContain("mintedBy");
  });
});
