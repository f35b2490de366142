import type { PlacementRefusalCode } from "../errors.ts";

/**
 * Pure placement over the track recorders: a pool of recorder processes, each with a capacity in tracks. A new
 * capture goes to the least-loaded healthy member with room, as a meeting goes to an SFU node
 * (node-selection.ts): same refusal codes, same "fresh stats or count as down" rule, ties broken by id.
 */

/** A pool member; its id is its base URL (origin), which is what the API stores as the recording's recorder. */
export interface RecorderMember {
  id: string;
  url: string;
}

/** What a member last reported (its /healthz), as the caller sees it now. */
export interface RecorderLoad {
  healthy: boolean;
  maxTracks: number;
  activeTracks: number;
  statsAgeMs: number;
}

export interface RecorderPlacementPolicy {
  staleAfterMs: number;
  /** Tracks a new capture is assumed to bring (a camera and a microphone, say), so a nearly full member is passed over. */
  expectedTracks: number;
}

export const defaultRecorderPlacementPolicy: RecorderPlacementPolicy = { staleAfterMs: 10_000, expectedTracks: 2 };

export type RecorderPlacement = { ok: true; recorderId: string } | { ok: false; code: PlacementRefusalCode; message: string };

export type RecorderPoolParse = { ok: true; members: RecorderMember[] } | { ok: false; issues: string[] };

/** A bare http(s) origin: scheme, host (name, IPv4 or bracketed IPv6), optional port, optional trailing slash. */
const origin = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/;

/** RECORDER_URLS: comma-separated http(s) origins, at least one; duplicates are one member. */
export function parseRecorderPool(urls: string | undefined): RecorderPoolParse {
  const issues: string[] = [];
  const members = new Map<string, RecorderMember>();
  for (const [i, raw] of (urls ?? "").split(",").entries()) {
    const text = raw.trim();
    if (!text) continue;
    const match = origin.exec(text);
    if (!match) {
      issues.push(`entry ${i + 1} must be an http(s) origin such as http://127.0.0.1:9300`);
      continue;
    }
    const id = `${match[1]}://${match[2]!.toLowerCase()}${match[3] ?? ""}`;
    members.set(id, { id, url: id });
  }
  if (issues.length) return { ok: false, issues };
  if (!members.size) return { ok: false, issues: ["no recorder URL"] };
  return { ok: true, members: [...members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

/** The member to start a capture on: fit (healthy, fresh) with room, least utilised after the new tracks; members in `skip` (already tried) are left out. */
export function selectRecorder(
  members: readonly RecorderMember[],
  loads: ReadonlyMap<string, RecorderLoad | undefined>,
  policy: RecorderPlacementPolicy = defaultRecorderPlacementPolicy,
  skip: ReadonlySet<string> = new Set(),
): RecorderPlacement {
  let best: RecorderMember | undefined;
  let bestScore = Infinity;
  let sawFit = false;
  for (const member of members) {
    if (skip.has(member.id)) continue;
    const load = loads.get(member.id);
    // A NaN age fails `<=`, so it counts as stale.
    if (!load?.healthy || !(load.statsAgeMs <= policy.staleAfterMs) || !(load.maxTracks > 0)) continue;
    sawFit = true;
    const after = load.activeTracks + policy.expectedTracks;
    if (!(after <= load.maxTracks)) continue;
    const score = after / load.maxTracks;
    if (score < bestScore) {
      best = member;
      bestScore = score;
    }
  }
  if (best) return { ok: true, recorderId: best.id };
  return sawFit
    ? { ok: false, code: "fleet_full", message: "no recorder has room for another capture" }
    : { ok: false, code: "no_healthy_node", message: "no recorder is reachable and healthy" };
}
