import { chromium, type Browser, type Page } from "playwright-core";

/**
 * Headless Debian Chromium driving the real meeting page, with fake camera/microphone devices.
 * The flags keep it off the network (no component updates, sync, QUIC probes) on this closed machine.
 */
export const chromiumPath = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 30_000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
    ],
  });
}

/** What the page's `window.__meeting.state()` test hook returns (web/src/test-hooks.ts). */
export interface PageState {
  connected: boolean;
  identity: string | null;
  roster: string[];
  lastSeq: number;
  phase: string;
}

export interface CandidateSummary {
  candidateType: string;
  address: string;
  port: number;
  protocol: string;
  /** Only on relay candidates: how the browser reached the TURN server, and which TURN URL gave it. */
  relayProtocol?: string;
  url?: string;
}

/** One peer connection's getStats(), reduced to what a call test asserts on. */
export interface MediaStats {
  connectionState: string;
  audio: { bytesReceived: number };
  video: { bytesReceived: number; framesDecoded: number };
  selectedPair: { bytesReceived: number; local: CandidateSummary; remote: CandidateSummary } | null;
}

/**
 * Runs in the page. The root tsconfig has no DOM types, so the page's objects are described by the few
 * members used here; no named inner functions, because the function is shipped to the page as source.
 */
async function readMediaStats(remote: string): Promise<MediaStats | null> {
  type Stat = Record<string, unknown> & { id: string; type: string };
  type Connection = { connectionState: string; getStats(): Promise<{ forEach(each: (stat: Stat) => void): void }> };
  const hooks = (globalThis as unknown as { __meeting?: { peerConnections(): Map<string, Connection> } }).__meeting;
  const pc = hooks?.peerConnections().get(remote);
  if (!pc) return null;
  const byId = new Map<string, Stat>();
  (await pc.getStats()).forEach((stat) => byId.set(stat.id, stat));
  const stats = [...byId.values()];
  const inbound = stats.filter((s) => s.type === "inbound-rtp");
  const sum = (kind: string, field: string) =>
    inbound.filter((s) => s.kind === kind).reduce((total, s) => total + (Number(s[field]) || 0), 0);
  const transport = stats.find((s) => s.type === "transport" && typeof s.selectedCandidatePairId === "string");
  const pair = transport ? byId.get(String(transport.selectedCandidatePairId)) : undefined;
  const candidate = (id: unknown): CandidateSummary => {
    const c: Record<string, unknown> = byId.get(String(id)) ?? {};
    return {
      candidateType: String(c.candidateType),
      address: String(c.address ?? c.ip),
      port: Number(c.port),
      protocol: String(c.protocol),
      ...(c.relayProtocol ? { relayProtocol: String(c.relayProtocol) } : {}),
      ...(c.url ? { url: String(c.url) } : {}),
    };
  };
  return {
    connectionState: pc.connectionState,
    audio: { bytesReceived: sum("audio", "bytesReceived") },
    video: { bytesReceived: sum("video", "bytesReceived"), framesDecoded: sum("video", "framesDecoded") },
    selectedPair: pair
      ? { bytesReceived: Number(pair.bytesReceived) || 0, local: candidate(pair.localCandidateId), remote: candidate(pair.remoteCandidateId) }
      : null,
  };
}

/** One participant's tab on the meeting page, driven through its data-testid controls and test hooks. */
export class MeetingPage {
  constructor(readonly page: Page) {}

  state(): Promise<PageState> {
    return this.page.evaluate(() => {
      const hooks = (globalThis as unknown as { __meeting?: { state(): PageState } }).__meeting;
      if (!hooks) throw new Error("window.__meeting is not installed");
      return hooks.state();
    });
  }

  /** Opens the page with the tenant key in the fragment and starts a meeting as its host; returns the join link. */
  async host(baseUrl: string, apiKey: string, name: string, timeout: number): Promise<string> {
    await this.page.goto(`${baseUrl}#key=${apiKey}`, { timeout });
    await this.page.getByTestId("name-input").fill(name, { timeout });
    await this.page.getByTestId("new-meeting-button").click({ timeout });
    await this.waitUntilInMeeting(timeout);
    return this.page.getByTestId("join-link").inputValue({ timeout });
  }

  /** Opens a join link (the key comes from this browser's localStorage) and joins as a participant. */
  async join(link: string, name: string, timeout: number): Promise<void> {
    await this.page.goto(link, { timeout });
    await this.page.getByTestId("name-input").fill(name, { timeout });
    await this.page.getByTestId("join-button").click({ timeout });
    await this.waitUntilInMeeting(timeout);
  }

  async waitUntilInMeeting(timeout: number): Promise<void> {
    await this.page.waitForFunction(
      () => (globalThis as unknown as { __meeting?: { state(): PageState } }).__meeting?.state().connected === true,
      null,
      { timeout },
    );
  }

  /** Waits for the RTCPeerConnection to `remote` to reach "connected" (ICE and DTLS done). */
  async waitForPeer(remote: string, timeout: number): Promise<void> {
    await this.page.waitForFunction(
      (identity) =>
        (globalThis as unknown as { __meeting?: { peerConnections(): Map<string, { connectionState: string }> } }).__meeting
          ?.peerConnections()
          .get(identity)?.connectionState === "connected",
      remote,
      { timeout },
    );
  }

  async mediaFrom(remote: string): Promise<MediaStats> {
    const stats = await this.page.evaluate(readMediaStats, remote);
    if (!stats) throw new Error(`no peer connection to ${remote}`);
    return stats;
  }
}
