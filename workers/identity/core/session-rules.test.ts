import { describe, expect, it } from "vitest";
import { sessionTiming, sessionTtlMs, sessionVerdict } from "./session-rules.ts";

const t0 = 1_000_000;
const fresh = { createdAt: t0, issuedAt: t0, lastSeenAt: t0 };

describe("session lifetime", () => {
  it("is valid while used, and rotates its id once old enough", () => {
    expect(sessionVerdict(fresh, t0 + 1000)).toBe("valid");
    expect(sessionVerdict({ ...fresh, lastSeenAt: t0 + sessionTiming.rotateAfterMs }, t0 + sessionTiming.rotateAfterMs)).toBe("rotate");
  });

  it("expires when idle, and at its absolute end however busy", () => {
    expect(sessionVerdict(fresh, t0 + sessionTiming.idleMs)).toBe("expired");
    const busy = { createdAt: t0, issuedAt: t0 + sessionTiming.absoluteMs - 1000, lastSeenAt: t0 + sessionTiming.absoluteMs - 1 };
    expect(sessionVerdict(busy, t0 + sessionTiming.absoluteMs)).toBe("expired");
  });

  it("a rotated-away id works for the grace period only, and never rotates again", () => {
    const retired = { ...fresh, lastSeenAt: t0 + 20 * 60_000, retiresAt: t0 + 20 * 60_000 + sessionTiming.rotationGraceMs };
    expect(sessionVerdict(retired, t0 + 20 * 60_000 + 1000)).toBe("valid");
    expect(sessionVerdict(retired, retired.retiresAt)).toBe("expired");
  });

  it("Redis keeps an id no longer than it can be used", () => {
    expect(sessionTtlMs(fresh, t0)).toBe(sessionTiming.idleMs);
    expect(sessionTtlMs(fresh, t0 + sessionTiming.absoluteMs - 5000)).toBe(5000);
    expect(sessionTtlMs({ ...fresh, retiresAt: t0 + 30_000 }, t0)).toBe(30_000);
  });
});
