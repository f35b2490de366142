import { readFile } from "node:fs/promises";
import type { Browser, BrowserContext, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logFile } from "../../scripts/lib/daemon.ts";
import { emulatorName, recordingCompositorFunction } from "../../scripts/services/lambda.ts";
import { poll } from "../support/poll.ts";
import { api, newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage } from "./browser.ts";

// Recording from the meeting page against the real Worker, room, SFU and track recorder: a host tab and a guest
// tab in a peer-to-peer call; the host starts a recording that asks for consent from the control bar. Both tabs
// show the indicator and say the call moves through the media server, both move to the SFU; the guest declines
// and is told they are not recorded (the host's roster says so too, and the host excludes and includes them from
// it), the host accepts; pause shows "paused" on both tabs, resume, stop, and the indicator goes. Every step is
// read off the DOM the participants see. Then the compositor's HLS rendition reaches the host's page as "Recording
// ready — Play" and plays there in Chromium.

const stepMs = 15_000;
/** The recording reaches `capturing` once the meeting is on the SFU and a recorder joined it. */
const captureMs = 30_000;
/** From stop to `recording_ready`: the recorder's last chunks, then the compositor's segments and renditions. */
/** From pressing Play to frames decoded. */
const playMs = 30_000;
const composeMs = 150_000;
/** Captured before the pause and after the resume. */
/** About a second of the 30 fps composite. */
const minDecodedFrames = 30;
const capturedMs = 3_000;
const testTimeout = 300_000;

let browser: Browser;
let context: BrowserContext | undefined;
let tenant: Awaited<ReturnType<typeof newTenant>>;
let meetingId: string | undefined;
const pages: MeetingPage[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchChromium(), newTenant("recording-page")]);
});

afterAll(async () => {
  await Promise.allSettled(pages.map((page) => page.leave(5_000)));
  await context?.close();
  await browser?.close();
  // Ending the meeting stops anything still recording and closes its LiveKit room.
  if (meetingId) await api(`/v1/meetings/${meetingId}/end`, { method: "POST", key: tenant.apiKey }).catch(() => undefined);
});

type RecordingHook = { phase: string; recordingId: string } | null;
type Playback = {
  recordingId: string;
  status: string;
  error: string | null;
  decodedFrames: number;
  width: number;
  levels: number[];
  engine: string | null;
};
type PageHooks = { __meeting?: { state(): { recording: RecordingHook }; playback(): Playback | null } };

const recordingOf = (page: MeetingPage) =>
  page.page.evaluate(() => (globalThis as unknown as PageHooks).__meeting?.state().recording ?? null);

/** The indicator every participant sees, by its parts. */
const indicator = (page: MeetingPage) => {
  const root = page.page.getByTestId("recording-indicator");
  return {
    root,
    label: root.getByTestId("recording-label"),
    startedBy: root.getByTestId("recording-started-by"),
    selfNote: root.getByTestId("recording-self-note"),
    mediaNote: root.getByTestId("recording-media-note"),
    changeAnswer: root.getByTestId("recording-change-answer"),
  };
};

const textOf = (locator: Locator) => locator.textContent({ timeout: stepMs });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The few members of a page's <video> element the MP4 check uses (the tests compile without the DOM's types). */
interface PageVideo {
  muted: boolean;
  preload: string;
  src: string;
  duration: number;
  currentTime: number;
  videoWidth: number;
  readyState: number;
  error: { code: number } | null;
  onloadedmetadata: ((event: unknown) => void) | null;
  onloadeddata: ((event: unknown) => void) | null;
  onseeked: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * Where a recording got to, for a failure message: its row as the API shows it, and the last lines the Worker
 * logged about its meeting or it and the compositor's emulators about it. A wait that times out says why.
 */
async function recordingTrail(recordingId: string, meeting: string): Promise<string> {
  const row = await api(`/v1/recordings/${recordingId}`, { key: tenant.apiKey })
    .then(async (response) => `${response.status} ${(await response.text()).slice(0, 600)}`)
    .catch((error: unknown) => `unreadable: ${(error as Error).message}`);
  const compositor = recordingCompositorFunction;
  const logs: [string, string[]][] = [
    ["worker", [recordingId, meeting]],
    ...Array.from({ length: compositor.emulators }, (_, i): [string, string[]] => [emulatorName(compositor, i), [recordingId]]),
  ];
  const lines: string[] = [];
  for (const [name, ids] of logs) {
    const text = await readFile(logFile(name), "utf8").catch(() => "");
    const about = text.split("\n").filter((line) => ids.some((id) => line.includes(id)));
    lines.push(...about.slice(-8).map((line) => `${name}: ${line.slice(0, 300)}`));
  }
  return [`GET /v1/recordings/${recordingId}: ${row}`, ...lines].join("\n");
}

describe("meeting page: recording", () => {
  it("the host records from the page: indicator on both tabs, the call moves to the SFU, the guest declines, pause, stop", {
    timeout: testTimeout,
  }, async () => {
    // 1. Two tabs in a peer-to-peer call; no recording, no indicator.
    context = await browser.newContext();
    const [host, guest] = [new MeetingPage(await context.newPage()), new MeetingPage(await context.newPage())];
    pages.push(host, guest);
    const link = await host.host(`${workerUrl}/`, tenant.apiKey, "Ada Host", stepMs);
    meetingId = new URL(link).hash.replace("#meeting=", "");
    await guest.join(link, "Bob Guest", stepMs);
    const [hostId, guestId] = [(await host.state()).identity!, (await guest.state()).identity!];
    await Promise.all([host.waitForPeer(guestId, stepMs), guest.waitForPeer(hostId, stepMs)]);
    expect([(await host.state()).mediaMode, (await guest.state()).mediaMode]).toEqual(["p2p", "p2p"]);
    for (const page of [host, guest]) await expect(indicator(page).root.isHidden()).resolves.toBe(true);
    // Only hosts and cohosts get the record button.
    await expect(guest.page.getByTestId("record-button").isHidden()).resolves.toBe(true);

    // 2. The host starts a recording that asks for consent.
    await host.page.getByTestId("record-button").click({ timeout: stepMs });
    await host.page.getByTestId("record-consent").check({ timeout: stepMs });
    await host.page.getByTestId("record-layout").selectOption("speaker", { timeout: stepMs });
    await host.page.getByTestId("record-start").click({ timeout: stepMs });
    expect(host.sentOfType("recording")).toMatchObject([{ action: "start", layout: "speaker", consentRequired: true }]);

    // 3. Both tabs show the indicator, who started it, and that the call moves through the media server.
    for (const [page, starter] of [
      [host, "Started by you"],
      [guest, "Started by Ada Host"],
    ] as const) {
      const shown = indicator(page);
      await shown.root.waitFor({ state: "visible", timeout: stepMs });
      expect(await textOf(shown.label)).toMatch(/^(Starting recording…|Recording)$/);
      expect(await textOf(shown.startedBy)).toBe(starter);
      expect(await textOf(shown.mediaNote)).toMatch(/through the media server so it can be recorded/);
    }

    // 4. The meeting moves to the SFU, and both tabs with it.
    for (const page of [host, guest]) {
      await expect
        .poll(
          async () => {
            const state = await page.state();
            return [state.mediaMode, state.sfu.status];
          },
          { timeout: stepMs },
        )
        .toEqual(["sfu", "connected"]);
    }
    expect(await textOf(indicator(guest).mediaNote)).toBe("The call now goes through the media server so it can be recorded");

    // 5. Consent: nobody is recorded before answering. The guest declines and is told so; the host accepts.
    const guestPrompt = guest.page.getByTestId("consent-prompt");
    await guestPrompt.waitFor({ state: "visible", timeout: stepMs });
    expect(await textOf(indicator(guest).selfNote)).toBe("You are not being recorded until you agree");
    await guestPrompt.getByTestId("consent-decline").click({ timeout: stepMs });
    await guestPrompt.waitFor({ state: "hidden", timeout: stepMs });
    await expect.poll(() => textOf(indicator(guest).selfNote), { timeout: stepMs }).toBe("You are not being recorded: you declined");
    expect(await textOf(indicator(guest).changeAnswer)).toBe("Allow recording me");
    expect(guest.sentOfType("recording_consent")).toMatchObject([{ accept: false }]);

    const hostPrompt = host.page.getByTestId("consent-prompt");
    await hostPrompt.waitFor({ state: "visible", timeout: stepMs });
    await hostPrompt.getByTestId("consent-accept").click({ timeout: stepMs });
    await hostPrompt.waitFor({ state: "hidden", timeout: stepMs });
    await indicator(host).selfNote.waitFor({ state: "detached", timeout: stepMs });
    expect(await textOf(indicator(host).changeAnswer)).toBe("Don't record me");

    // The host's roster marks the guest as not recorded, and why.
    await host.page.getByTestId("tab-people").click({ timeout: stepMs });
    const guestBadge = host.page.locator(`[data-testid="roster-entry"][data-identity="${guestId}"] [data-testid="not-recorded-badge"]`);
    await expect.poll(() => guestBadge.getAttribute("data-reason", { timeout: stepMs }), { timeout: stepMs }).toBe("declined");
    expect([await textOf(guestBadge), await guestBadge.getAttribute("title")]).toEqual(["Not recorded", "Not recorded: declined"]);

    // 6. Capture begins once the recorder is in the SFU room: "Recording" on both tabs.
    for (const page of [host, guest]) {
      await expect.poll(() => textOf(indicator(page).label), { timeout: captureMs }).toBe("Recording");
    }
    const recordingId = (await recordingOf(host))?.recordingId;
    expect(recordingId).toBeDefined();
    expect(await recordingOf(guest)).toEqual({ phase: "capturing", recordingId });
    await sleep(capturedMs); // something to play back

    // 7. Pause: both tabs say so; resume.
    await host.page.getByTestId("record-pause-button").click({ timeout: stepMs });
    for (const page of [host, guest]) {
      await expect.poll(() => textOf(indicator(page).label), { timeout: stepMs }).toBe("Recording paused");
      expect(await page.page.getByTestId("recording-indicator").getAttribute("data-phase")).toBe("paused");
    }
    await host.page.getByTestId("record-pause-button").click({ timeout: stepMs });
    for (const page of [host, guest]) await expect.poll(() => textOf(indicator(page).label), { timeout: stepMs }).toBe("Recording");
    expect(host.sentOfType("recording").map((frame) => frame.action)).toEqual(["start", "pause", "resume"]);
    await sleep(capturedMs);

    // 8. Stop: the indicator stays while the recording is saved, then goes on both tabs.
    await host.page.getByTestId("record-button").click({ timeout: stepMs });
    for (const page of [host, guest]) {
      await indicator(page).root.waitFor({ state: "hidden", timeout: captureMs });
      expect(await recordingOf(page)).toBeNull();
    }
    // The room said "stopping" before it said the recording was over: nobody saw it vanish while still capturing.
    const phases = guest.received.flatMap((frame) => (frame.type === "recording_state" ? [frame.recording?.phase ?? "none"] : []));
    expect(phases.slice(phases.lastIndexOf("stopping"))).toEqual(["stopping", "none"]);

    // 9. The compositor makes the renditions; the host, still in the meeting, is told it is ready and plays
    // the HLS rendition in the page (hls.js over Media Source Extensions), and Chromium decodes its frames.
    const ready = host.page.locator(`[data-testid="ready-recording"][data-recording-id="${recordingId}"]`);
    await ready.waitFor({ state: "visible", timeout: composeMs }).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await recordingTrail(recordingId!, meetingId!)}`);
    });
    expect(host.received.filter((frame) => frame.type === "recording_ready")).toMatchObject([{ recordingId }]);
    await ready.getByTestId("play-recording").click({ timeout: stepMs });
    await host.page.getByTestId("recording-player").waitFor({ state: "visible", timeout: stepMs });
    const playback = await poll(
      () => host.page.evaluate(() => (globalThis as unknown as PageHooks).__meeting?.playback() ?? null),
      (state) => state !== null && (state.error !== null || state.decodedFrames >= minDecodedFrames),
      playMs,
    );
    expect(playback, "the player's state").toMatchObject({ recordingId, engine: "hls.js", error: null });
    expect(playback!.decodedFrames).toBeGreaterThanOrEqual(minDecodedFrames);
    expect(playback!.levels.length, "renditions in the master playlist").toBeGreaterThanOrEqual(2);
    expect(playback!.width).toBeGreaterThan(0);
    // The MP4 download, from the API's own short-lived URL, plays in Chromium as a file: its duration is known
    // before the end is read (the fragmented MP4's head carries it), and a seek near the end lands there and shows
    // a frame (its fragment index).
    const view = (await (await api(`/v1/recordings/${recordingId}`, { key: tenant.apiKey })).json()) as {
      renditions: { kind: string; url: string; durationMs: number }[];
    };
    const mp4 = view.renditions.find((r) => r.kind === "mp4")!;
    const file = await host.page.evaluate(async (url) => {
      const video = (globalThis as unknown as { document: { createElement(tag: "video"): PageVideo } }).document.createElement("video");
      video.muted = true;
      video.preload = "auto";
      video.src = url;
      await new Promise((resolve, reject) => {
        video.onloadedmetadata = resolve;
        video.onerror = () => reject(new Error(`media error ${video.error?.code}`));
      });
      const duration = video.duration;
      const target = Math.max(0, duration - 1.5);
      video.currentTime = target;
      await new Promise((resolve) => {
        video.onseeked = resolve;
      });
      await new Promise((resolve) => {
        if (video.readyState >= 2) resolve(null);
        else video.onloadeddata = resolve;
      });
      return { duration, currentTime: video.currentTime, target, width: video.videoWidth, readyState: video.readyState };
    }, mp4.url);
    expect(file.duration).toBeCloseTo(mp4.durationMs / 1000, 0);
    expect(Math.abs(file.currentTime - file.target)).toBeLessThan(0.1);
    expect([file.width, file.readyState >= 2]).toEqual([1920, true]);
    // Only hosts (and cohosts) still in the meeting hear of it.
    expect(guest.received.some((frame) => frame.type === "recording_ready")).toBe(false);
    expect(await guest.page.getByTestId("ready-recordings").isHidden()).toBe(true);
    expect([...host.pageErrors, ...guest.pageErrors]).toEqual([]);
  });
});
