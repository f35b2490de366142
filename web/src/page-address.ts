import { meetingFragment } from "../../protocol/join-link.ts";
import { defaultSampleIntervalMs, minSampleIntervalMs } from "./sample-loop.ts";

/**
 * What the page reads from its own address. The fragment carries the demo API key (`#key=emk_…`) and the
 * meeting to join (`#meeting=<id>`): fragments are never sent to the server, so neither lands in a log.
 */
export interface PageAddress {
  apiKey: string | null;
  meetingId: string | null;
  /** `#tenant=<id>`: the tenant whose identity provider the page offers to sign in with. */
  tenantId: string | null;
  /** `?relay=1`: force TURN (iceTransportPolicy "relay"), used to prove media goes through the relay. */
  forceRelay: boolean;
  /** `?sampleMs=1500`: quality samples more often than every 5 s, for tests (1 s at the least, never less often). */
  sampleIntervalMs: number;
}

export function readPageAddress(location: Location): PageAddress {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const query = new URLSearchParams(location.search);
  return {
    apiKey: fragment.get("key"),
    meetingId: fragment.get("meeting"),
    tenantId: fragment.get("tenant"),
    forceRelay: query.get("relay") === "1",
    sampleIntervalMs: sampleInterval(query.get("sampleMs")),
  };
}

function sampleInterval(value: string | null): number {
  const ms = Number(value);
  if (value === null || !Number.isInteger(ms)) return defaultSampleIntervalMs;
  return Math.min(defaultSampleIntervalMs, Math.max(minSampleIntervalMs, ms));
}

/** The shareable link for a meeting: same origin and query (so `?relay=1` and `?sampleMs` carry over), never the key. */
export function joinLink(location: Location, meetingId: string): string {
  return `${location.origin}${location.pathname}${location.search}#${meetingFragment(meetingId)}`;
}

/**
 * Replaces the fragment without a navigation, so the key disappears from the address bar once stored. The
 * tenant stays: a reload still offers its sign-in.
 */
export function showMeetingInAddress(meetingId: string | null): void {
  const url = new URL(window.location.href);
  url.hash = pageFragment(meetingId, readPageAddress(window.location).tenantId);
  history.replaceState(null, "", url);
}

/** `meeting=<id>&tenant=<id>`, either part left out when absent; never the key. */
export function pageFragment(meetingId: string | null, tenantId: string | null): string {
  const parts = [meetingId ? meetingFragment(meetingId) : null, tenantId ? `tenant=${encodeURIComponent(tenantId)}` : null];
  return parts.filter((part) => part !== null).join("&");
}
