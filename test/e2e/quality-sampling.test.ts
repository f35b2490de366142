import type { Browser, BrowserContext, WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sampleQuality } from "../../protocol/call-quality.ts";
import { QualityEventFigures, QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import { aloneWaitMs } from "../../web/src/join-timing.ts";
import { newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage, type SentFrame } from "./browser.ts";

// Two tabs of headless Chromium in a P2P call through the real meeting room. Each page samples its call
// (?sampleMs=1000 instead of every 5 s, so the test is short) and reports its join; what they send is read
// off their sockets, the room's answers too, and the room's rating shows in the other tab's roster.

const stepMs = 12_000;
const testTimeout = 60_000;
const sampleEveryMs = 1000;

let browser: Browser;
let apiKey: string;
const contexts: BrowserContext[] = [];
const pages: MeetingPage[] = [];

beforeAll(async () => {
  [browser, { apiKey }] = await Promise.all([launchChromium(), newTenant("quality-sampling")]);
});

afterEach(async () => {
  await Promise.allSettled(pages.splice(0).map((page) => page.leave(5_000)));
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
});

const samplesOf = (page: MeetingPage) =>
  page.sentOfType("quality_sample").map(({ type: _, id: __, ...figures }) => QualitySampleFigures.parse(figures));
const eventsOf = (page: MeetingPage) => page.sentOfType("quality_event").map((frame) => QualityEventFigures.parse(frame["event"]));

/** A sample in which audio and video arrived from the other tab and went out to it. */
function flowing(sample: QualitySampleFigures | undefined): boolean {
  const carried = (direction: string, kind: string) =>
    sample?.tracks.some((t) => t.direction === direction && t.kind === kind && t.packets > 0);
  return ["audio", "video"].every((kind) => carried("inbound", kind) && carried("outbound", kind));
}

/** The room's `error` answers to this page's telemetry frames (none expected: it took every one). */
function refusals(page: MeetingPage): string[] {
  const ours = new Set(page.sent.filter((f) => f.type === "quality_sample" || f.type === "quality_event").map((f: SentFrame) => f.id));
  return page.received.flatMap((f) => (f.type === "error" && f.ref && ours.has(f.ref) ? [`${f.code}: ${f.message}`] : []));
}

describe("meeting page: call quality samples", () => {
  it("two tabs in a P2P call sample their media, report their join, and see each other's rated quality", { timeout: testTimeout }, async ({
    annotate,
  }) => {
    const context = await browser.newContext();
    contexts.push(context);
    const [host, guest] = [new MeetingPage(await context.newPage()), new MeetingPage(await context.newPage())];
    pages.push(host, guest);
    const link = await host.host(`${workerUrl}/?sampleMs=${sampleEveryMs}`, apiKey, "Ada Host", stepMs);
    await guest.join(link, "Bob Guest", stepMs);
    const [hostId, guestId] = [(await host.state()).identity!, (await guest.state()).identity!];
    await Promise.all([host.waitForPeer(guestId, stepMs), guest.waitForPeer(hostId, stepMs)]);

    // 1. Samples with media both ways (a few seconds after the call connects).
    await expect.poll(() => [host, guest].every((page) => flowing(samplesOf(page).at(-1))), { timeout: stepMs, interval: 250 }).toBe(true);
    const lines: string[] = [];
    for (const [side, page] of [
      ["host", host],
      ["guest", guest],
    ] as const) {
      const samples = samplesOf(page);
      const sample = samples.at(-1)!;
      expect(sample, `${side}'s latest sample`).toMatchObject({ path: "p2p", candidateType: "host" });
      expect(sample.windowMs).toBeGreaterThanOrEqual(sampleEveryMs);
      expect(sample.windowMs).toBeLessThan(sampleEveryMs * 4);
      expect(new Set(samples.map((s) => s.sampleId)).size, "a fresh id per sample").toBe(samples.length);
      for (const track of sample.tracks) {
        const what = `${side} ${track.direction} ${track.kind}`;
        expect(track.packets, `${what} packets`).toBeGreaterThan(0);
        // Loopback: a round trip is measured (the ICE pair's, or the receiver's RTCP report) and tiny; no loss to speak of.
        expect(track.rttMs, `${what} rtt`).toBeTypeOf("number");
        expect(track.rttMs!, `${what} rtt`).toBeLessThan(100);
        expect(track.packetsLost, `${what} lost`).toBeLessThanOrEqual(Math.ceil(track.packets * 0.05));
        expect(track.bitrateKbps, `${what} bitrate`).toBeGreaterThan(0);
      }
      const video = sample.tracks.find((t) => t.direction === "inbound" && t.kind === "video")!;
      expect(video.width! * video.height!, `${side} receives a picture`).toBeGreaterThan(0);
      expect(video.frameRate, `${side} decodes frames`).toBeGreaterThan(5);
      lines.push(
        `${side}: ${samples.length} samples; ` +
          sample.tracks
            .map((t) => `${t.direction} ${t.kind} ${t.packets} pkts ${Math.round(t.bitrateKbps ?? 0)} kbps rtt ${t.rttMs} ms`)
            .join(", "),
      );
    }

    // 2. The room rates each tab's samples; the other tab's roster shows the level (from "good", the start).
    for (const [page, other, otherId] of [
      [host, guest, guestId],
      [guest, host, hostId],
    ] as const) {
      await expect
        .poll(async () => (await page.rosterQuality(otherId)) === sampleQuality(samplesOf(other).at(-1)!.tracks)?.quality, {
          timeout: 8_000,
          interval: 250,
        })
        .toBe(true);
      const updated = page.received.filter((f) => f.type === "participant_updated" && f.participant.identity === otherId);
      const levels = updated.map((f) => (f.type === "participant_updated" ? f.participant.connectionQuality : ""));
      lines.push(`${otherId} in the other roster: ${await page.rosterQuality(otherId)} (updates: ${levels.join(" → ")})`);
    }

    // 3. Each tab reported its join: timing with the first remote media, and the outcome "joined".
    for (const [side, page] of [
      ["host", host],
      ["guest", guest],
    ] as const) {
      await expect
        .poll(
          () =>
            eventsOf(page)
              .map((e) => e.kind)
              .sort(),
          { timeout: 5_000 },
        )
        .toEqual(["connection_outcome", "join_timing"]);
      const timing = eventsOf(page).find((e) => e.kind === "join_timing")!;
      const outcome = eventsOf(page).find((e) => e.kind === "connection_outcome")!;
      expect(timing, `${side} join timing`).toMatchObject({ path: "p2p" });
      expect(outcome, `${side} outcome`).toMatchObject({ path: "p2p", outcome: "joined" });
      if (timing.kind !== "join_timing") throw new Error("unreachable");
      expect(timing.firstMediaMs, `${side}: media arrived`).toBeTypeOf("number");
      expect(timing.firstMediaMs!).toBeLessThan(stepMs);
      expect(timing.tokenMs + timing.socketMs).toBeLessThan(stepMs);
      expect(refusals(page), `the room refused ${side}'s telemetry`).toEqual([]);
      lines.push(`${side}: ${JSON.stringify(timing)} ${JSON.stringify(outcome)}`);
    }
    expect([...host.pageErrors, ...guest.pageErrors]).toEqual([]);
    console.log(`[quality-sampling]\n${lines.join("\n")}`);
    await annotate(lines.join("\n"));
  });

  it("alone in a meeting, a page reports its join without media, and a dropped socket once it is back", {
    timeout: testTimeout,
  }, async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = new MeetingPage(await context.newPage());
    pages.push(page);
    // Every meeting socket of the tab goes through this route, so the test can cut one like a network would.
    const sockets: { page: WebSocketRoute; room: WebSocketRoute }[] = [];
    await page.page.routeWebSocket(/\/connect\?token=/, (socket) => {
      sockets.push({ page: socket, room: socket.connectToServer() });
    });
    await page.host(`${workerUrl}/?sampleMs=${sampleEveryMs}`, apiKey, "Ada Alone", stepMs);

    const cut = sockets.at(-1)!;
    await Promise.all([cut.room.close(), cut.page.close({ code: 1001, reason: "network gone" })]);
    await expect.poll(() => sockets.length, { timeout: stepMs }).toBe(2);
    await page.waitUntilInMeeting(stepMs);
    await expect
      .poll(() => eventsOf(page).filter((e) => e.kind === "drop"), { timeout: 5_000 })
      .toMatchObject([{ kind: "drop", cause: "socket_closed", path: "p2p" }]);

    // Nobody came within the alone wait: joined (at the welcome), and no first media to time.
    await expect
      .poll(() => eventsOf(page).filter((e) => e.kind !== "drop"), { timeout: aloneWaitMs + 5_000, interval: 500 })
      .toMatchObject([
        { kind: "connection_outcome", outcome: "joined" },
        { kind: "join_timing", firstMediaMs: null },
      ]);
    // Nothing to measure alone: no samples, and nothing the room refused.
    expect(samplesOf(page)).toEqual([]);
    expect(refusals(page)).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  });
});
