import { isStorableLine } from "../../protocol/text.ts";

/**
 * Opaque keyset cursor for the hourly listing: the (hour, meeting, region) of the last row served, which is the
 * listing's order and the rollup's key, so a walk never repeats or skips a row however many share an hour. The
 * region is free text: percent-encoded, so it holds no `|` and survives base64.
 */
export interface HourlyCursor {
  hour: Date;
  meetingId: string;
  region: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeHourlyCursor(cursor: HourlyCursor): string {
  const raw = `${cursor.hour.toISOString()}|${cursor.meetingId}|${encodeURIComponent(cursor.region)}`;
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Undefined for anything that is not a cursor we issued (the caller answers 400). */
export function decodeHourlyCursor(encoded: string): HourlyCursor | undefined {
  let parts: string[];
  let region: string;
  try {
    parts = atob(encoded.replace(/-/g, "+").replace(/_/g, "/")).split("|");
    region = decodeURIComponent(parts[2] ?? "");
  } catch {
    return undefined;
  }
  const [iso, meetingId] = parts;
  if (parts.length !== 3 || !iso || !meetingId || !uuidPattern.test(meetingId) || !region || !isStorableLine(region)) return undefined;
  const hour = new Date(iso);
  if (Number.isNaN(hour.getTime()) || hour.toISOString() !== iso || hour.getTime() % 3_600_000 !== 0) return undefined;
  return { hour, meetingId, region };
}
