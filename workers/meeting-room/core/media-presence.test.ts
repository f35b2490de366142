import { describe, expect, it } from "vitest";
import { applyMediaEvent, emptyMediaPresence } from "./media-presence.ts";

const at = "2026-11-24T12:00:00.000Z";

describe("media presence from SFU webhooks", () => {
  it("tracks who is on the SFU and what they publish", () => {
    let p = applyMediaEvent(emptyMediaPresence(), { kind: "sfu_participant", identity: "ana", connected: true, at });
    p = applyMediaEvent(p, { kind: "sfu_track", identity: "ana", trackSid: "T1", source: "MICROPHONE", published: true, at });
    p = applyMediaEvent(p, { kind: "sfu_track", identity: "ana", trackSid: "T2", source: "CAMERA", published: true, at });
    expect(p).toMatchObject({ sfuActive: true, onSfu: { ana: ["CAMERA", "MICROPHONE"] }, egress: {} });
    p = applyMediaEvent(p, { kind: "sfu_track", identity: "ana", trackSid: "T2", source: "CAMERA", published: false, at });
    expect(p.onSfu["ana"]).toEqual(["MICROPHONE"]);
    p = applyMediaEvent(p, { kind: "sfu_participant", identity: "ana", connected: false, at });
    expect(p.onSfu).toEqual({});
  });

  it("returns the same object for a redelivered event, so the room sends nothing twice", () => {
    const joined = applyMediaEvent(emptyMediaPresence(), { kind: "sfu_participant", identity: "ana", connected: true, at });
    expect(applyMediaEvent(joined, { kind: "sfu_participant", identity: "ana", connected: true, at })).toBe(joined);
    const egress = applyMediaEvent(joined, { kind: "egress", egressId: "EG", status: "EGRESS_ACTIVE", at });
    expect(applyMediaEvent(egress, { kind: "egress", egressId: "EG", status: "EGRESS_ACTIVE", at })).toBe(egress);
  });

  it("a finished SFU room empties the roster of the SFU even if leave events went missing", () => {
    const joined = applyMediaEvent(emptyMediaPresence(), { kind: "sfu_participant", identity: "ana", connected: true, at });
    expect(applyMediaEvent(joined, { kind: "sfu_room", active: false, at })).toMatchObject({ sfuActive: false, onSfu: {} });
  });
});
