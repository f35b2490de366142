/**
 * `window.__meeting`: a read-only window into the page for browser tests (roster, seq, peer connections),
 * so they assert on room state rather than on pixels.
 */
export interface MeetingTestHooks {
  state(): { connected: boolean; identity: string | null; roster: string[]; lastSeq: number; phase: string };
  peerConnections(): Map<string, RTCPeerConnection>;
}

declare global {
  interface Window {
    __meeting?: MeetingTestHooks;
  }
}

export function exposeTestHooks(hooks: MeetingTestHooks): void {
  window.__meeting = hooks;
}

export const idleTestHooks: MeetingTestHooks = {
  state: () => ({ connected: false, identity: null, roster: [], lastSeq: 0, phase: "idle" }),
  peerConnections: () => new Map(),
};
