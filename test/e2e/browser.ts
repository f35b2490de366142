import { chromium, type Browser, type Page } from "playwright-core";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../protocol/server-frames.ts";

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
  /** The page's media path: the P2P mesh, or the SFU once the room moved the meeting there. */
  mediaMode: "p2p" | "sfu";
  sfu: { status: string; url: string | null };
}

/** What the page received from one remote participant over the SFU (web/src/inbound-media.ts). */
export interface SfuInbound {
  audio: { bytesReceived: number; packetsReceived: number };
  video: { bytesReceived: number; framesReceived: number; framesDecoded: number; frameWidth: number; frameHeight: number };
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

// The page's objects as seen from functions that run in it. The root tsconfig has no DOM types, so they are
// described by the few members used here. Those functions are shipped to the page as source: no imports,
// no named inner functions.
type Stat = Record<string, unknown> & { id: string; type: string };
interface PagePeer {
  connectionState: string;
  iceConnectionState: string;
  iceGatheringState: string;
  signalingState: string;
  getStats(): Promise<{ forEach(each: (stat: Stat) => void): void }>;
}
type PageGlobals = {
  __meeting?: { state(): PageState; peerConnections(): Map<string, PagePeer>; sfuInbound(): Promise<Record<string, SfuInbound>> };
};

async function readMediaStats(remote: string): Promise<MediaStats | null> {
  const pc = (globalThis as unknown as PageGlobals).__meeting?.peerConnections().get(remote);
  if (!pc) return null;
  const byId = new Map<string, Stat>();
  (await pc.getStats()).forEach((stat) => {
    byId.set(stat.id, stat);
  });
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
      ? {
          bytesReceived: Number(pair.bytesReceived) || 0,
          local: candidate(pair.localCandidateId),
          remote: candidate(pair.remoteCandidateId),
        }
      : null,
  };
}

async function describePeers(): Promise<string[]> {
  const peers = [...((globalThis as unknown as PageGlobals).__meeting?.peerConnections() ?? new Map<string, PagePeer>())];
  return Promise.all(
    peers.map(async ([identity, pc]) => {
      const counts: Record<string, number> = {};
      (await pc.getStats()).forEach((stat) => {
        counts[stat.type] = (counts[stat.type] ?? 0) + 1;
      });
      return (
        `${identity}: connection ${pc.connectionState}, ice ${pc.iceConnectionState}, signaling ${pc.signalingState}, ` +
        `gathering ${pc.iceGatheringState}, candidates ${counts["local-candidate"] ?? 0} local / ${counts["remote-candidate"] ?? 0} remote`
      );
    }),
  );
}

/** A frame the page sent over its meeting socket, as it went on the wire. */
export type SentFrame = { type: string; id: string } & Record<string, unknown>;

/** One participant's tab on the meeting page, driven through its data-testid controls and test hooks. */
export class MeetingPage {
  /** Uncaught exceptions in the page: a call test expects none. */
  readonly pageErrors: string[] = [];
  /** What the page sent to the meeting room and what the room sent it, read off the socket (every socket the tab opened). */
  readonly sent: SentFrame[] = [];
  readonly received: ServerFrame[] = [];
  /** Console warnings and errors, quoted in failure messages. */
  private readonly warnings: string[] = [];

  constructor(readonly page: Page) {
    page.on("pageerror", (error) => this.pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "warning" || message.type() === "error") this.warnings.push(`${message.type()}: ${message.text()}`);
    });
    page.on("websocket", (socket) => {
      if (!new URL(socket.url()).pathname.endsWith("/connect")) return;
      socket.on("framesent", ({ payload }) => {
        if (typeof payload === "string") this.sent.push(JSON.parse(payload) as SentFrame);
      });
      socket.on("framereceived", ({ payload }) => {
        // The page itself drops what doesn't parse; so does this record.
        const parsed = typeof payload === "string" ? serverMessageSchema.safeParse(JSON.parse(payload)) : undefined;
        if (parsed?.success) this.received.push(...framesOf(parsed.data));
      });
    });
  }

  /** The frames of one type this page has sent so far. */
  sentOfType(type: string): SentFrame[] {
    return this.sent.filter((frame) => frame.type === type);
  }

  /** The roster's connection-quality indicator for `identity` (its `data-quality`), or null when not shown. */
  rosterQuality(identity: string): Promise<string | null> {
    return this.page
      .locator(`[data-testid="roster-entry"][data-identity="${identity}"] [data-testid="connection-quality"]`)
      .getAttribute("data-quality", { timeout: 1000 })
      .catch(() => null);
  }

  state(): Promise<PageState> {
    return this.page.evaluate(() => {
      const hooks = (globalThis as unknown as PageGlobals).__meeting;
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
    await this.page.waitForFunction(() => (globalThis as unknown as PageGlobals).__meeting?.state().connected === true, null, { timeout });
  }

  /** Waits for the RTCPeerConnection to `remote` to reach "connected" (ICE and DTLS done). */
  async waitForPeer(remote: string, timeout: number): Promise<void> {
    await this.page.waitForFunction(
      (identity) => (globalThis as unknown as PageGlobals).__meeting?.peerConnections().get(identity)?.connectionState === "connected",
      remote,
      { timeout },
    );
  }

  async mediaFrom(remote: string): Promise<MediaStats> {
    const stats = await this.page.evaluate(readMediaStats, remote);
    if (!stats) throw new Error(`no peer connection to ${remote}`);
    return stats;
  }

  /** How many P2P connections the page holds: none once the meeting is on the SFU. */
  peerConnectionCount(): Promise<number> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).__meeting?.peerConnections().size ?? 0);
  }

  /** Per remote identity, what arrived over the SFU so far (empty while peer to peer). */
  sfuInbound(): Promise<Record<string, SfuInbound>> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).__meeting?.sfuInbound() ?? {});
  }

  /**
   * Leaves the meeting, which closes the peer connections and so releases their TURN allocations. Closing the
   * browser context alone leaves coturn's UDP allocations to run out their lifetime, and its relay range is small.
   */
  async leave(timeout: number): Promise<void> {
    if (!(await this.state()).connected) return;
    await this.page.getByTestId("leave-button").click({ timeout });
    await this.page.waitForFunction(() => (globalThis as unknown as PageGlobals).__meeting?.peerConnections().size === 0, null, {
      timeout,
    });
  }

  /** The page's peer connections (states, gathered and received candidates) and recent console warnings. */
  async diagnosis(): Promise<string> {
    const peers = await this.page.evaluate(describePeers).catch((error: unknown) => [`(page unreadable: ${String(error)})`]);
    return JSON.stringify({ peers, warnings: this.warnings.slice(-10) });
  }
}
