import { describe, expect, it } from "vitest";
import { QualityEventFigures } from "../../protocol/quality-telemetry.ts";
import { advance, initialJoinProgress, type JoinMark } from "./join-timing.ts";

/** Feeds the marks in order and returns every event they made due, each checked against the protocol. */
function run(marks: JoinMark[]) {
  let progress = initialJoinProgress;
  let ids = 0;
  const events = marks.flatMap((mark) => {
    const result = advance(progress, mark, () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`);
    progress = result.progress;
    return result.events;
  });
  for (const event of events) QualityEventFigures.parse(event);
  return events;
}

const joining: JoinMark[] = [
  { kind: "token", requestedAt: 1000, receivedAt: 1080 },
  { kind: "socket_opening", at: 1100 },
  { kind: "answered", at: 1250 },
];

describe("join timing and connection outcome", () => {
  it("a join into company: token, socket and first-media times, and joined when the peer connection is up", () => {
    const events = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "p2p", alone: false },
      { kind: "media_connected", at: 1900, path: "p2p" },
      { kind: "first_media", at: 2050, path: "p2p" },
      { kind: "first_media", at: 2100, path: "p2p" },
      { kind: "left", at: 9000 },
    ]);
    expect(events).toMatchObject([
      { kind: "connection_outcome", path: "p2p", outcome: "joined", elapsedMs: 900 },
      { kind: "join_timing", path: "p2p", tokenMs: 80, socketMs: 150, firstMediaMs: 800 },
    ]);
  });

  it("the socket phase starts when the socket opens, not while the page waited for the camera prompt", () => {
    const events = run([
      { kind: "token", requestedAt: 0, receivedAt: 100 },
      { kind: "socket_opening", at: 4100 },
      { kind: "admitted", at: 4300, path: "sfu", alone: false },
      { kind: "first_media", at: 5300, path: "sfu" },
    ]);
    expect(events.find((event) => event.kind === "join_timing")).toMatchObject({
      tokenMs: 100,
      socketMs: 200,
      firstMediaMs: 1000,
      path: "sfu",
    });
  });

  it("alone at the welcome: first media counts from when company came; alone all along it is null", () => {
    const company = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "p2p", alone: true },
      { kind: "company", at: 6000 },
      { kind: "alone_wait_over", at: 11_250, alone: false },
      { kind: "first_media", at: 6700, path: "p2p" },
    ]);
    expect(company.find((event) => event.kind === "join_timing")).toMatchObject({ firstMediaMs: 700 });
    const alone = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "p2p", alone: true },
      { kind: "alone_wait_over", at: 11_250, alone: true },
    ]);
    expect(alone).toMatchObject([
      { kind: "connection_outcome", outcome: "joined", elapsedMs: 250 },
      { kind: "join_timing", firstMediaMs: null },
    ]);
  });

  it("the first attempt failing decides the outcome; what happens after is not a second outcome", () => {
    const ice = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "p2p", alone: false },
      { kind: "attempt_failed", at: 21_000, path: "p2p", outcome: "failed_ice" },
      { kind: "media_connected", at: 25_000, path: "p2p" },
    ]);
    expect(ice.filter((event) => event.kind === "connection_outcome")).toMatchObject([{ outcome: "failed_ice", elapsedMs: 20_000 }]);
    const sfu = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "sfu", alone: false },
      { kind: "attempt_failed", at: 3000, path: "sfu", outcome: "failed_sfu" },
    ]);
    expect(sfu).toMatchObject([{ kind: "connection_outcome", outcome: "failed_sfu", path: "sfu" }]);
  });

  it("leaving before media (or before being let in) is giving up; nothing about media is reported", () => {
    const lobby = run([...joining, { kind: "left", at: 30_000 }]);
    expect(lobby).toMatchObject([{ kind: "connection_outcome", outcome: "gave_up", elapsedMs: 29_000 }]);
    const reconnected = run([
      ...joining,
      { kind: "admitted", at: 1250, path: "p2p", alone: false },
      { kind: "admitted", at: 60_000, path: "p2p", alone: false },
      { kind: "first_media", at: 61_000, path: "p2p" },
    ]);
    // A welcome after a reconnect is not a second join: media still counts from the first.
    expect(reconnected.find((event) => event.kind === "join_timing")).toMatchObject({ firstMediaMs: 59_750 });
  });

  it("clamps figures to the protocol's bounds (a clock that jumped, an hour in the lobby)", () => {
    const events = run([
      { kind: "token", requestedAt: 5000, receivedAt: 4000 },
      { kind: "answered", at: 5000 },
      { kind: "admitted", at: 3_700_000, path: "p2p", alone: false },
      { kind: "first_media", at: 3_701_000, path: "p2p" },
    ]);
    expect(events).toMatchObject([
      { kind: "connection_outcome", elapsedMs: 600_000 },
      { kind: "join_timing", tokenMs: 0, socketMs: 1000, firstMediaMs: 1000 },
    ]);
  });
});
