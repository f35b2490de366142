import { describe, expect, it } from "vitest";
import { participantRoles } from "../protocol/roles.ts";
import { mediaAccess, mediaTokenTtl, mediaTokenTtlSeconds, type MediaPolicy, type MediaRole } from "./media-grants.ts";

const room = "meeting-7d9e0f1a";
const open: MediaPolicy = { guestsCanPublish: true };
const closed: MediaPolicy = { guestsCanPublish: false };
const grantFor = (role: MediaRole, policy: MediaPolicy = open) => mediaAccess({ role, room, policy }).grant;

const allRoles: MediaRole[] = [...participantRoles, "recorder"];

describe("media grants per role", () => {
  it("host and cohost publish every source and subscribe, whatever the guest policy", () => {
    for (const role of ["host", "cohost"] as const) {
      for (const policy of [open, closed, { guestsCanPublish: false, participantSources: [] }]) {
        expect(grantFor(role, policy)).toEqual({
          roomJoin: true,
          room,
          canPublish: true,
          canPublishSources: ["camera", "microphone", "screen_share"],
          canSubscribe: true,
          canPublishData: false,
          canUpdateOwnMetadata: false,
          roomAdmin: false,
          hidden: false,
          recorder: false,
        });
      }
    }
  });

  it("a participant publishes every source by default, or only the policy's participant sources", () => {
    expect(grantFor("participant", closed)).toMatchObject({
      canPublish: true,
      canPublishSources: ["camera", "microphone", "screen_share"],
    });
    expect(grantFor("participant", { guestsCanPublish: false, participantSources: ["microphone", "camera"] })).toMatchObject({
      canPublish: true,
      canPublishSources: ["camera", "microphone"],
    });
  });

  it("a participant with no allowed source cannot publish at all", () => {
    expect(grantFor("participant", { guestsCanPublish: true, participantSources: [] })).toMatchObject({
      canPublish: false,
      canPublishSources: [],
      canSubscribe: true,
    });
  });

  it("a guest under guestsCanPublish: false subscribes but cannot publish anything", () => {
    expect(grantFor("guest", closed)).toMatchObject({ canPublish: false, canPublishSources: [], canSubscribe: true, hidden: false });
  });

  it("guestSources are ignored when guests may not publish", () => {
    expect(grantFor("guest", { guestsCanPublish: false, guestSources: ["microphone"] })).toMatchObject({
      canPublish: false,
      canPublishSources: [],
    });
  });

  it("a guest publishes every source when allowed with no list, or only the listed ones", () => {
    expect(grantFor("guest", open)).toMatchObject({ canPublish: true, canPublishSources: ["camera", "microphone", "screen_share"] });
    expect(grantFor("guest", { guestsCanPublish: true, guestSources: ["microphone"] })).toMatchObject({
      canPublish: true,
      canPublishSources: ["microphone"],
    });
  });

  it("a guest allowed to publish but with an empty source list cannot publish", () => {
    // An empty canPublishSources means "any source" to LiveKit: the grant must say canPublish: false instead.
    expect(grantFor("guest", { guestsCanPublish: true, guestSources: [] })).toMatchObject({ canPublish: false, canPublishSources: [] });
  });

  it("duplicate and unknown sources from stored policy JSON are dropped", () => {
    const stored = JSON.parse('{"guestsCanPublish":true,"guestSources":["microphone","microphone","hologram"]}') as MediaPolicy;
    expect(grantFor("guest", stored).canPublishSources).toEqual(["microphone"]);
  });

  it("the recorder is hidden, flagged as recorder, subscribes and publishes nothing", () => {
    expect(grantFor("recorder", open)).toMatchObject({
      canPublish: false,
      canPublishSources: [],
      canSubscribe: true,
      hidden: true,
      recorder: true,
    });
  });

  it("no role gets room admin, data publishing or self-service metadata, and every grant is bound to the room", () => {
    for (const role of allRoles) {
      for (const policy of [open, closed]) {
        const grant = grantFor(role, policy);
        expect(grant).toMatchObject({ roomJoin: true, room, roomAdmin: false, canPublishData: false, canUpdateOwnMetadata: false });
      }
    }
  });

  it("only the recorder is hidden", () => {
    expect(allRoles.filter((role) => grantFor(role).hidden)).toEqual(["recorder"]);
    expect(allRoles.filter((role) => grantFor(role).recorder)).toEqual(["recorder"]);
  });

  it("a grant does not share its source list with the policy or another grant", () => {
    const policy: MediaPolicy = { guestsCanPublish: true, guestSources: ["camera"] };
    const first = grantFor("guest", policy);
    first.canPublishSources.push("screen_share");
    expect(grantFor("guest", policy).canPublishSources).toEqual(["camera"]);
    expect(policy.guestSources).toEqual(["camera"]);
  });
});

describe("media token TTL", () => {
  it("defaults to 10 minutes", () => {
    expect(mediaAccess({ role: "guest", room, policy: open }).ttlSeconds).toBe(600);
    expect(mediaTokenTtlSeconds()).toBe(mediaTokenTtl.defaultSeconds);
  });

  it("keeps a requested TTL inside the bounds", () => {
    expect(mediaAccess({ role: "host", room, policy: open, ttlSeconds: 120 }).ttlSeconds).toBe(120);
    expect(mediaTokenTtlSeconds(90.9)).toBe(90);
  });

  it("caps a long TTL at one hour and raises a tiny or negative one to a minute", () => {
    expect(mediaTokenTtlSeconds(24 * 3600)).toBe(3600);
    expect(mediaTokenTtlSeconds(5)).toBe(60);
    expect(mediaTokenTtlSeconds(-600)).toBe(60);
  });

  it("falls back to the default for NaN and infinities", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(mediaTokenTtlSeconds(bad)).toBe(600);
  });
});
