import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { host as loopback, ports } from "../../scripts/lib/local-config.ts";
import { newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage, type CandidateSummary, type MediaStats } from "./browser.ts";

// Two tabs of one headless Chromium in a real call through the Worker: the page's signaling over the
// meeting room, TURN credentials from the welcome, and fake camera/microphone media flowing both ways.

/** Bound on each step (page load + join, ICE, first decoded frame); the whole test stays well under a minute. */
const stepMs = 12_000;
const testTimeout = 55_000;
/** Counters must keep rising over this window: media is flowing now, not only during setup. */
const windowMs = 2_000;
// Fake devices give a 640x360 20 fps stream and a beeping tone: measured ~25 kB/s video, ~3 kB/s audio.
// The floors are a fraction of that, so a loaded 2-core machine still passes while a dead stream cannot.
const floor = { audioBytes: 1_000, videoBytes: 10_000, framesDecoded: 5 };

let browser: Browser;
let apiKey: string;
const contexts: BrowserContext[] = [];
const pages: MeetingPage[] = [];

beforeAll(async () => {
  [browser, { apiKey }] = await Promise.all([launchChromium(), newTenant("browser-call")]);
});

afterEach(async () => {
  // Leave first, so Chromium releases its TURN allocations on coturn before the tabs go away.
  await Promise.allSettled(pages.splice(0).map((page) => page.leave(5_000)));
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * The host tab creates a meeting; a second tab of the same browser context opens its join link. One context,
 * two tabs: the key sits in shared localStorage, each tab has its own identity in sessionStorage.
 */
async function startCall(query: string) {
  const context = await browser.newContext();
  contexts.push(context);
  const open = async () => {
    const page = new MeetingPage(await context.newPage());
    pages.push(page);
    return page;
  };
  const [host, guest] = [await open(), await open()];
  const link = await host.host(`${workerUrl}/${query}`, apiKey, "Ada Host", stepMs);
  // The join link keeps the query, so `?relay=1` applies to the guest too.
  const joinUrl = new URL(link);
  expect({ origin: joinUrl.origin, search: joinUrl.search }).toEqual({ origin: workerUrl, search: query });
  expect(joinUrl.hash).toMatch(/^#meeting=[0-9a-f-]{36}$/);
  await guest.join(link, "Bob Guest", stepMs);
  const [hostId, guestId] = [(await host.state()).identity, (await guest.state()).identity];
  if (!hostId || !guestId) throw new Error("a page has no identity");
  // The guest's welcome and the host's participant_joined are separate frames: wait for the latter.
  await expect.poll(async () => (await host.state()).roster.sort(), { timeout: stepMs }).toEqual([hostId, guestId].sort());
  try {
    await Promise.all([host.waitForPeer(guestId, stepMs), guest.waitForPeer(hostId, stepMs)]);
  } catch (error) {
    const detail = `host ${await host.diagnosis()}\nguest ${await guest.diagnosis()}`;
    throw new Error(`the two tabs' peer connections did not both connect within ${stepMs} ms:\n${detail}`, { cause: error });
  }
  return { host, guest, hostId, guestId };
}

type Call = Awaited<ReturnType<typeof startCall>>;
interface Sample {
  host: MediaStats;
  guest: MediaStats;
}

const sample = async ({ host, guest, hostId, guestId }: Call): Promise<Sample> => {
  const [fromGuest, fromHost] = await Promise.all([host.mediaFrom(guestId), guest.mediaFrom(hostId)]);
  return { host: fromGuest, guest: fromHost };
};

/** Waits for the first decoded video frame on both sides, then samples twice, `windowMs` apart. */
async function measureFlow(call: Call): Promise<{ before: Sample; after: Sample }> {
  await expect
    .poll(
      async () => {
        const now = await sample(call);
        return Math.min(now.host.video.framesDecoded, now.guest.video.framesDecoded);
      },
      { timeout: stepMs, interval: 250 },
    )
    .toBeGreaterThan(0);
  const before = await sample(call);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return { before, after: await sample(call) };
}

function expectBothWays({ before, after }: { before: Sample; after: Sample }): void {
  for (const side of ["host", "guest"] as const) {
    const [was, now] = [before[side], after[side]];
    expect(now.connectionState, `${side} peer connection`).toBe("connected");
    expect(now.audio.bytesReceived - was.audio.bytesReceived, `${side}: audio bytes in ${windowMs} ms`).toBeGreaterThan(floor.audioBytes);
    expect(now.video.bytesReceived - was.video.bytesReceived, `${side}: video bytes in ${windowMs} ms`).toBeGreaterThan(floor.videoBytes);
    expect(now.video.framesDecoded - was.video.framesDecoded, `${side}: frames decoded in ${windowMs} ms`).toBeGreaterThanOrEqual(
      floor.framesDecoded,
    );
  }
}

const endpoint = (c: CandidateSummary | undefined) => (c ? `${c.candidateType} ${c.protocol} ${c.address}:${c.port}` : "none");

function describeFlow({ before, after }: { before: Sample; after: Sample }): string {
  return (["host", "guest"] as const)
    .map((side) => {
      const [was, now] = [before[side], after[side]];
      const pair = now.selectedPair;
      return (
        `${side} receives: audio ${now.audio.bytesReceived} B (+${now.audio.bytesReceived - was.audio.bytesReceived}), ` +
        `video ${now.video.bytesReceived} B (+${now.video.bytesReceived - was.video.bytesReceived}), ` +
        `frames ${now.video.framesDecoded} (+${now.video.framesDecoded - was.video.framesDecoded}); ` +
        `pair ${endpoint(pair?.local)} <-> ${endpoint(pair?.remote)}`
      );
    })
    .join("\n");
}

describe("meeting page in headless Chromium", () => {
  it("two tabs in one meeting receive each other's audio and video", { timeout: testTimeout }, async ({ annotate }) => {
    const call = await startCall("");
    const flow = await measureFlow(call);
    expectBothWays(flow);
    expect([...call.host.pageErrors, ...call.guest.pageErrors]).toEqual([]);
    await annotate(describeFlow(flow));
  });

  it("with ?relay=1 both tabs' media goes through coturn's relay ports", { timeout: testTimeout }, async ({ annotate }) => {
    const call = await startCall("?relay=1");
    const flow = await measureFlow(call);
    expectBothWays(flow);
    const { host, guest } = flow.after;
    for (const [side, stats] of [
      ["host", host],
      ["guest", guest],
    ] as const) {
      const local = stats.selectedPair?.local;
      // iceTransportPolicy "relay": the only local candidates are allocations on our coturn, on its relay ports.
      expect(local, `${side} selected local candidate`).toMatchObject({ candidateType: "relay", address: loopback });
      expect(local?.url, `${side} TURN server`).toMatch(
        new RegExp(`^turn:${loopback.replaceAll(".", "\\.")}:${ports.turn}\\?transport=(udp|tcp)$`),
      );
      expect(local?.port, `${side} relay port`).toBeGreaterThanOrEqual(ports.turnRelayMin);
      expect(local?.port, `${side} relay port`).toBeLessThanOrEqual(ports.turnRelayMax);
      expect(stats.selectedPair?.bytesReceived, `${side} bytes on the relayed pair`).toBeGreaterThan(floor.videoBytes);
    }
    // Each side sends to the other's relayed address: the two allocations are the two ends of the call.
    const at = (c: CandidateSummary | undefined) => `${c?.address}:${c?.port}`;
    expect(at(host.selectedPair?.remote)).toBe(at(guest.selectedPair?.local));
    expect(at(guest.selectedPair?.remote)).toBe(at(host.selectedPair?.local));
    expect([...call.host.pageErrors, ...call.guest.pageErrors]).toEqual([]);
    await annotate(describeFlow(flow));
  });
});
