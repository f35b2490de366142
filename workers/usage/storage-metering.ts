import type { UsageFact, UsageOwner } from "./usage-writer.ts";

/**
 * Storage and attachment usage from what the object store actually holds under a tenant's prefix (presigned uploads
 * may never happen; only objects that exist are metered). Each object bills its bytes once as `attachment_bytes`
 * (keyed by key and ETag, so a replaced object bills again) and, for every UTC day a metering run finds it stored,
 * its bytes as that day's `storage_byte_days` (keyed by key and day, so daily runs are idempotent). Pure.
 */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const attachmentKey = new RegExp(`^(${uuid})/(${uuid})/attachments/`);

export interface MeteredObject {
  owner: UsageOwner;
  facts: UsageFact[];
}

export function meterStoredObject(tenantId: string, object: StoredObject, now: Date): MeteredObject | null {
  const match = attachmentKey.exec(object.key);
  // Only keys under the tenant's own prefix: a listing is by prefix, but the key decides whose it is.
  if (!match || match[1] !== tenantId || !Number.isSafeInteger(object.size) || object.size < 0) return null;
  const stored = object.lastModified.getTime() <= now.getTime() ? object.lastModified : now;
  const day = now.toISOString().slice(0, 10);
  const dayStart = new Date(`${day}T00:00:00.000Z`);
  const seenFrom = stored.getTime() > dayStart.getTime() ? stored : dayStart;
  return {
    owner: { tenantId, meetingId: match[2]! },
    facts: [
      {
        kind: "attachment_bytes",
        quantity: object.size,
        sourceId: `s3:${object.key}:${object.etag}`,
        periodStart: stored.toISOString(),
        periodEnd: stored.toISOString(),
      },
      {
        kind: "storage_byte_days",
        quantity: object.size,
        sourceId: `s3:${object.key}:${day}`,
        periodStart: seenFrom.toISOString(),
        periodEnd: now.toISOString(),
      },
    ],
  };
}
