import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

type Updated = Extract<ServerFrame, { type: "participant_updated" }>;
type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

let apiKey: string;
beforeAll(async () => {
  ({ apiKey } = await newTenant("quality samples"));
});

const sample = (tracks: unknown[]) =>
  ({ type: "quality_sample", sampleId: crypto.randomUUID(), windowMs: 5000, path: "p2p", candidateType: "relay", tracks }) as never;

describe("quality samples in the meeting room", () => {
  it("the room rates each participant's samples and tells everyone when their quality changes", async () => {
    const meeting = await createMeeting(apiKey, { title: "quality" });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const bob = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "bob", role: "guest" })).connectUrl);
    try {
      // Bob's link goes bad: 600 ms round trip, 25% of audio lost.
      bob.send(
        sample([
          { direction: "inbound", kind: "audio", rttMs: 600, jitterMs: 80, packetsLost: 80, packets: 240 },
          {
            direction: "inbound",
            kind: "video",
            rttMs: 600,
            jitterMs: 80,
            packetsLost: 10,
            packets: 900,
            frameRate: 6,
            expectedFrameRate: 30,
          },
        ]),
      );
      const bad = await alice.next<Updated>((f) => f.type === "participant_updated" && f.participant.identity === "bob");
      expect(bad.participant.connectionQuality).toBe("lost");

      await new Promise((resolve) => setTimeout(resolve, 1100)); // one sample a second at most
      bob.send(sample([{ direction: "inbound", kind: "audio", rttMs: 30, jitterMs: 3, packetsLost: 0, packets: 250 }]));
      const good = await alice.next<Updated>(
        (f) => f.type === "participant_updated" && f.participant.identity === "bob" && f.participant.connectionQuality === "excellent",
      );
      expect(good.participant.connectionQuality).toBe("excellent");
    } finally {
      alice.close();
      bob.close();
    }
  });

  it("refuses malformed samples and more than the rate allows, with error frames, and changes nothing", async () => {
    const meeting = await createMeeting(apiKey, { title: "bad samples" });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    try {
      const negative = alice.send(sample([{ direction: "inbound", kind: "audio", packetsLost: -1, packets: 10 }]));
      expect((await alice.next<ErrorFrame>((f) => f.type === "error" && f.ref === negative)).code).toBe("invalid_frame");
      const huge = alice.send(
        sample(Array.from({ length: 65 }, () => ({ direction: "inbound", kind: "audio", packetsLost: 0, packets: 1 }))),
      );
      expect((await alice.next<ErrorFrame>((f) => f.type === "error" && f.ref === huge)).code).toBe("invalid_frame");
      // The bucket holds four (a join's events and first sample); the fifth within the second is refused.
      const refs = [0, 1, 2, 3, 4].map(() => alice.send(sample([{ direction: "inbound", kind: "audio", packetsLost: 0, packets: 250 }])));
      const limited = await alice.next<ErrorFrame>((f) => f.type === "error" && f.ref === refs[4]);
      expect(limited.code).toBe("rate_limited");
      expect(alice.frames.some((f) => f.type === "participant_updated" && f.participant.connectionQuality !== "excellent")).toBe(false);
    } finally {
      alice.close();
    }
  });
});
