import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientFrameTypes, type ClientFrameType } from "../../../protocol/client-frames.ts";
import {
  classifyFrame,
  defaultFrameRateLimits,
  defineFrameRateLimits,
  initialFrameRateState,
  take,
  type FrameRateLimits,
  type FrameRateState,
} from "./frame-rate-limit.ts";

const t0 = 1_900_000_000_000;

/** Takes `count` frames of one type at the same instant: how many were allowed, and the state after. */
function burst(state: FrameRateState, type: ClientFrameType, count: number, nowMs: number, limits?: FrameRateLimits) {
  let allowed = 0;
  for (let i = 0; i < count; i++) {
    const result = take(state, type, nowMs, limits);
    state = result.state;
    if (result.allowed) allowed++;
  }
  return { allowed, state };
}

describe("frame classes", () => {
  it.each([
    ["chat_send", "chat"],
    ["chat_edit", "chat"],
    ["chat_delete", "chat"],
    ["chat_react", "chat"],
    ["attachment_upload", "chat"],
    ["signal", "signaling"],
    ["e2ee_key_package", "signaling"],
    ["e2ee_publish_key", "signaling"],
    ["hello", "control"],
    ["ping", "control"],
    ["presence", "control"],
    ["chat_history", "control"],
    ["mute", "control"],
    ["end_meeting", "control"],
  ] as const)("classifies %s as %s", (type, frameClass) => {
    expect(classifyFrame(type)).toBe(frameClass);
  });

  it("classifies every protocol frame type", () => {
    for (const type of clientFrameTypes) expect(["chat", "signaling", "control", "telemetry"]).toContain(classifyFrame(type));
    expect(classifyFrame("quality_sample")).toBe("telemetry");
    expect(classifyFrame("quality_event")).toBe("telemetry");
  });
});

describe("burst", () => {
  it("allows a full bucket back to back, then refuses", () => {
    expect(burst(initialFrameRateState, "chat_send", 8, t0).allowed).toBe(5);
    expect(burst(initialFrameRateState, "signal", 250, t0).allowed).toBe(200);
    expect(burst(initialFrameRateState, "presence", 30, t0).allowed).toBe(20);
    expect(burst(initialFrameRateState, "quality_sample", 6, t0).allowed).toBe(4);
  });

  it("counts every chat-class frame against the same bucket", () => {
    let state = initialFrameRateState;
    for (const type of ["chat_send", "chat_edit", "chat_delete", "chat_react", "attachment_upload"] as const) {
      const result = take(state, type, t0);
      expect(result.allowed).toBe(true);
      state = result.state;
    }
    expect(take(state, "chat_send", t0).allowed).toBe(false);
  });

  it("never mutates the state it was given", () => {
    const state = burst(initialFrameRateState, "chat_send", 3, t0).state;
    const before = JSON.stringify(state);
    take(state, "chat_send", t0);
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe("refill", () => {
  it("refills at the class's rate: 2 chat frames per second", () => {
    const empty = burst(initialFrameRateState, "chat_send", 5, t0).state;
    expect(take(empty, "chat_send", t0 + 499).allowed).toBe(false);
    expect(burst(empty, "chat_send", 5, t0 + 1_000).allowed).toBe(2);
  });

  it("never refills beyond capacity after a long quiet spell", () => {
    const empty = burst(initialFrameRateState, "chat_send", 5, t0).state;
    expect(burst(empty, "chat_send", 10, t0 + 3_600_000).allowed).toBe(5);
  });

  it("does not mint tokens when the clock steps back and forth", () => {
    const empty = burst(initialFrameRateState, "chat_send", 5, t0 + 10_000).state;
    const back = take(empty, "chat_send", t0).state;
    expect(take(back, "chat_send", t0 + 10_000).allowed).toBe(false);
  });
});

describe("retryAfterMs", () => {
  it("is 0 when allowed", () => {
    expect(take(initialFrameRateState, "chat_send", t0)).toMatchObject({ allowed: true, retryAfterMs: 0, frameClass: "chat" });
  });

  it("says how long until the next token and waiting that long is enough", () => {
    const empty = burst(initialFrameRateState, "chat_send", 5, t0).state;
    const refused = take(empty, "chat_send", t0 + 100);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 400, frameClass: "chat" });
    expect(take(refused.state, "chat_send", t0 + 100 + 399).allowed).toBe(false);
    expect(take(refused.state, "chat_send", t0 + 100 + 400).allowed).toBe(true);
  });

  it("includes the time a stepped-back clock still has to catch up", () => {
    const empty = burst(initialFrameRateState, "chat_send", 5, t0).state;
    expect(take(empty, "chat_send", t0 - 1_000).retryAfterMs).toBe(1_500);
  });

  it("holds for any limits and any wait", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 5_000 }),
        (capacity, rate, wait) => {
          const limits = defineFrameRateLimits({ chat: { capacity, refillPerSecond: rate } });
          const empty = burst(initialFrameRateState, "chat_send", capacity, t0, limits).state;
          const refused = take(empty, "chat_send", t0 + wait, limits);
          if (refused.allowed) return;
          expect(take(refused.state, "chat_send", t0 + wait + refused.retryAfterMs, limits).allowed).toBe(true);
          if (refused.retryAfterMs > 0)
            expect(take(refused.state, "chat_send", t0 + wait + refused.retryAfterMs - 1, limits).allowed).toBe(false);
        },
      ),
    );
  });
});

describe("independent classes", () => {
  it("a chat flood leaves signaling and control untouched", () => {
    const flooded = burst(initialFrameRateState, "chat_send", 100, t0).state;
    expect(burst(flooded, "signal", 200, t0).allowed).toBe(200);
    expect(burst(flooded, "mute", 20, t0).allowed).toBe(20);
  });

  it("uses configured limits per class", () => {
    const limits = defineFrameRateLimits({ chat: { capacity: 1 }, control: { capacity: 3, refillPerSecond: 1 } });
    expect(limits.signaling).toEqual(defaultFrameRateLimits.signaling);
    expect(burst(initialFrameRateState, "chat_send", 5, t0, limits).allowed).toBe(1);
    expect(burst(initialFrameRateState, "ping", 5, t0, limits).allowed).toBe(3);
  });

  it("refuses limits that would block a class forever", () => {
    expect(() => defineFrameRateLimits({ chat: { capacity: 0 } })).toThrow(RangeError);
    expect(() => defineFrameRateLimits({ signaling: { refillPerSecond: 0 } })).toThrow(RangeError);
    expect(() => defineFrameRateLimits({ control: { refillPerSecond: Number.NaN } })).toThrow(RangeError);
  });
});

describe("never allows more than capacity + rate × elapsed (property)", () => {
  const types = ["chat_send", "signal", "ping"] as const;

  it("holds in every window of any request sequence", () => {
    fc.assert(
      fc.property(
        fc.record({ capacity: fc.integer({ min: 1, max: 10 }), refillPerSecond: fc.integer({ min: 1, max: 20 }) }),
        fc.array(fc.tuple(fc.constantFrom(...types), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 200 }),
        (bucket, requests) => {
          const limits = defineFrameRateLimits({ chat: bucket, signaling: bucket, control: bucket });
          let state = initialFrameRateState;
          let now = t0;
          const allowedAt: Record<string, number[]> = { chat: [], signaling: [], control: [] };
          for (const [type, gap] of requests) {
            now += gap;
            const result = take(state, type, now, limits);
            state = result.state;
            if (result.allowed) allowedAt[result.frameClass]!.push(now);
          }
          for (const times of Object.values(allowedAt)) {
            for (let i = 0; i < times.length; i++) {
              for (let j = i; j < times.length; j++) {
                const elapsedS = (times[j]! - times[i]!) / 1000;
                expect(j - i + 1).toBeLessThanOrEqual(bucket.capacity + bucket.refillPerSecond * elapsedS);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
