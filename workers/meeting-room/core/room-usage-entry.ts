import type { UsageEntry } from "../../../media-fleet/webhook-routing.ts";

/** A usage record the room writes through its record outbox (room-usage.ts decides them). */
export interface P2pUsageEntry {
  kind: "p2p_participant_seconds";
  /** Milliseconds (the writer recomputes it from the period). */
  quantity: number;
  /** `room:p2p:<meeting>:<identity>:<segment start ms>`: one record per stretch of peer-to-peer presence. */
  sourceId: string;
  periodStart: string;
  periodEnd: string;
}

export type RoomUsageEntry = UsageEntry | P2pUsageEntry;
