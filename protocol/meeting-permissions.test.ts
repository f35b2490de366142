import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authorize, canModerateChat, hostActions, muteAllTargets, type HostRequest, type MeetingActor as Actor } from "./permissions.ts";
import type { ParticipantRole } from "./roles.ts";

const roster: Record<string, ParticipantRole> = {
  hana: "host",
  hugo: "host",
  cora: "cohost",
  carl: "cohost",
  pia: "participant",
  pat: "participant",
  gus: "guest",
};
const roleOf = (identity: string) => roster[identity];
const as = (identity: string): Actor => ({ identity, role: roster[identity]! });

/** One request per action, aimed at participant pat where the action takes a target. */
const requestFor: Record<(typeof hostActions)[number], HostRequest> = {
  mute: { action: "mute", target: "pat" },
  mute_all: { action: "mute_all" },
  remove: { action: "remove", target: "pat" },
  lock: { action: "lock" },
  end_meeting: { action: "end_meeting" },
  set_role: { action: "set_role", target: "pat", role: "cohost" },
  spotlight: { action: "spotlight", target: "pat" },
  admit: { action: "admit" },
  deny: { action: "deny" },
  chat_moderate: { action: "chat_moderate" },
  record: { action: "record" },
  recording_exclude: { action: "recording_exclude", target: "pat" },
};

describe("host", () => {
  it.each(hostActions)("may %s", (action) => {
    expect(authorize(as("hana"), requestFor[action], roleOf)).toEqual({ ok: true });
  });

  it("may mute, remove and demote another host", () => {
    expect(authorize(as("hana"), { action: "mute", target: "hugo" }, roleOf).ok).toBe(true);
    expect(authorize(as("hana"), { action: "remove", target: "hugo" }, roleOf).ok).toBe(true);
    expect(authorize(as("hana"), { action: "set_role", target: "hugo", role: "cohost" }, roleOf).ok).toBe(true);
  });

  it("may clear the spotlight", () => {
    expect(authorize(as("hana"), { action: "spotlight", target: null }, roleOf).ok).toBe(true);
  });
});

describe("cohost", () => {
  it.each(hostActions.filter((action) => action !== "end_meeting"))("may %s", (action) => {
    expect(authorize(as("cora"), requestFor[action], roleOf)).toEqual({ ok: true });
  });

  it("may not end the meeting", () => {
    expect(authorize(as("cora"), { action: "end_meeting" }, roleOf)).toMatchObject({ ok: false, code: "forbidden" });
  });

  it.each<HostRequest>([
    { action: "mute", target: "hana" },
    { action: "remove", target: "hana" },
    { action: "set_role", target: "hana", role: "participant" },
  ])("may not $action the host", (request) => {
    expect(authorize(as("cora"), request, roleOf)).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("may spotlight the host: only mute, remove and role changes protect the host", () => {
    expect(authorize(as("cora"), { action: "spotlight", target: "hana" }, roleOf).ok).toBe(true);
  });

  it("may mute, remove and demote another cohost", () => {
    expect(authorize(as("cora"), { action: "mute", target: "carl" }, roleOf).ok).toBe(true);
    expect(authorize(as("cora"), { action: "remove", target: "carl" }, roleOf).ok).toBe(true);
    expect(authorize(as("cora"), { action: "set_role", target: "carl", role: "participant" }, roleOf).ok).toBe(true);
  });
});

describe.each(["pia", "gus"])("%s (participant or guest)", (identity) => {
  it.each(hostActions)("may not %s", (action) => {
    expect(authorize(as(identity), requestFor[action], roleOf)).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("gets forbidden, not not_found, for a target that is absent, so the roster can't be probed", () => {
    expect(authorize(as(identity), { action: "remove", target: "nobody" }, roleOf)).toMatchObject({ ok: false, code: "forbidden" });
  });
});

describe("nobody can be made host", () => {
  it.each(["hana", "cora"])("%s is refused set_role to host", (identity) => {
    expect(authorize(as(identity), { action: "set_role", target: "pia", role: "host" }, roleOf)).toMatchObject({
      ok: false,
      code: "forbidden",
    });
  });
});

describe("a target that is not in the meeting", () => {
  it.each<HostRequest>([
    { action: "mute", target: "ghost" },
    { action: "remove", target: "ghost" },
    { action: "set_role", target: "ghost", role: "cohost" },
    { action: "spotlight", target: "ghost" },
  ])("is not_found for $action", (request) => {
    expect(authorize(as("hana"), request, roleOf)).toMatchObject({ ok: false, code: "not_found" });
  });
});

describe("acting on yourself", () => {
  it.each(Object.keys(roster))("%s may mute themselves", (identity) => {
    expect(authorize(as(identity), { action: "mute", target: identity }, roleOf)).toEqual({ ok: true });
  });

  it.each(["hana", "cora"])("%s may not remove themselves and is told to leave", (identity) => {
    const result = authorize(as(identity), { action: "remove", target: identity }, roleOf);
    expect(result).toMatchObject({ ok: false, code: "forbidden" });
    expect(result.ok || result.message).toMatch(/leave/);
  });

  it.each(["hana", "cora"])("%s may not change their own role", (identity) => {
    expect(authorize(as(identity), { action: "set_role", target: identity, role: "participant" }, roleOf)).toMatchObject({
      ok: false,
      code: "forbidden",
    });
  });

  it("a cohost may spotlight themselves", () => {
    expect(authorize(as("cora"), { action: "spotlight", target: "cora" }, roleOf).ok).toBe(true);
  });
});

describe("canModerateChat", () => {
  it.each([
    ["hana", true],
    ["cora", true],
    ["pia", false],
    ["gus", false],
  ] as const)("%s -> %s", (identity, expected) => {
    expect(canModerateChat(as(identity))).toBe(expected);
  });
});

describe("muteAllTargets", () => {
  const members = Object.entries(roster).map(([identity, role]) => ({ identity, role }));

  it("a host's mute_all mutes everyone but the host who asked", () => {
    expect(muteAllTargets(as("hana"), members).sort()).toEqual(["carl", "cora", "gus", "hugo", "pat", "pia"]);
  });

  it("a cohost's mute_all spares the hosts and the cohost who asked", () => {
    expect(muteAllTargets(as("cora"), members).sort()).toEqual(["carl", "gus", "pat", "pia"]);
  });

  it("never lists someone a single mute from the same actor would refuse", () => {
    fc.assert(
      fc.property(fc.constantFrom("hana", "cora"), (identity) => {
        for (const target of muteAllTargets(as(identity), members)) {
          expect(authorize(as(identity), { action: "mute", target }, roleOf).ok).toBe(true);
        }
      }),
    );
  });
});

describe("refusals carry a stable code and a message without internals", () => {
  it("every refusal for any actor, action and target is forbidden or not_found with a readable message", () => {
    const identities = [...Object.keys(roster), "ghost"];
    const request = fc.oneof(
      fc.constantFrom<HostRequest>(
        { action: "mute_all" },
        { action: "lock" },
        { action: "end_meeting" },
        { action: "admit" },
        { action: "deny" },
        { action: "chat_moderate" },
      ),
      fc.record({ action: fc.constantFrom("mute" as const, "remove" as const), target: fc.constantFrom(...identities) }),
      fc.record({
        action: fc.constant("set_role" as const),
        target: fc.constantFrom(...identities),
        role: fc.constantFrom<ParticipantRole>("host", "cohost", "participant", "guest"),
      }),
      fc.record({ action: fc.constant("spotlight" as const), target: fc.option(fc.constantFrom(...identities), { nil: null }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(roster)), request, (identity, req) => {
        const result = authorize(as(identity), req, roleOf);
        if (!result.ok) {
          expect(["forbidden", "not_found"]).toContain(result.code);
          expect(result.message).not.toMatch(/Error|at .*\.ts/);
        }
        // Only hosts and cohosts ever get through, apart from muting oneself.
        const selfMute = req.action === "mute" && req.target === identity;
        if (result.ok && !selfMute) expect(["host", "cohost"]).toContain(roster[identity]);
      }),
    );
  });
});
