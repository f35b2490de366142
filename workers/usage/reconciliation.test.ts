import { describe, expect, it } from "vitest";
import { sessionsToReport } from "./sfu-reconciliation.ts";
import { meterStoredObject } from "./storage-metering.ts";

const tenant = "11111111-1111-4111-8111-111111111111";
const meeting = "22222222-2222-4222-8222-222222222222";

describe("SFU reconciliation", () => {
  it("reports each connected, visible participant with the SFU's own session, as its join webhook would", () => {
    const events = sessionsToReport(
      "RM_1",
      [
        { identity: "ana", sid: "PA_a", joinedAt: 1_700_000_000, hidden: false, state: "active" },
        { identity: "rec", sid: "PA_r", joinedAt: 1_700_000_000, hidden: true, state: "active" },
        { identity: "gone", sid: "PA_g", joinedAt: 1_700_000_000, hidden: false, state: "disconnected" },
        { identity: "future", sid: "PA_f", joinedAt: 1_900_000_000, hidden: false, state: "active" },
      ],
      1_800_000_000_000,
    );
    expect(events).toEqual([
      {
        kind: "sfu_participant",
        identity: "ana",
        connected: true,
        at: "2023-11-14T22:13:20.000Z",
        session: { roomSid: "RM_1", participantSid: "PA_a", joinedAt: "2023-11-14T22:13:20.000Z" },
      },
    ]);
  });
});

describe("storage metering", () => {
  const now = new Date("2026-12-03T10:00:00Z");
  const object = {
    key: `${tenant}/${meeting}/attachments/x/file.pdf`,
    size: 2048,
    lastModified: new Date("2026-12-01T09:00:00Z"),
    etag: '"e1"',
  };

  it("bills an attachment's bytes once per version and its storage once per day it is found", () => {
    const metered = meterStoredObject(tenant, object, now)!;
    expect(metered.owner).toEqual({ tenantId: tenant, meetingId: meeting });
    expect(metered.facts.map((f) => [f.kind, f.quantity, f.sourceId])).toEqual([
      ["attachment_bytes", 2048, `s3:${object.key}:"e1"`],
      ["storage_byte_days", 2048, `s3:${object.key}:2026-12-03`],
    ]);
    expect(metered.facts[1]!.periodStart).toBe("2026-12-03T00:00:00.000Z");
  });

  it("meters nothing outside the tenant's own attachment keys", () => {
    expect(
      meterStoredObject(tenant, { ...object, key: `33333333-3333-4333-8333-333333333333/${meeting}/attachments/x/f` }, now),
    ).toBeNull();
    expect(meterStoredObject(tenant, { ...object, key: `${tenant}/recordings/x` }, now)).toBeNull();
  });
});

describe("S3 listing", () => {
  it("reads keys, sizes, times and the continuation token, entities decoded", async () => {
    const { parseObjectListing } = await import("./s3-listing.ts");
    const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>true</IsTruncated>
      <Contents><Key>a/b&amp;c.txt</Key><LastModified>2026-12-01T09:00:00.000Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>12</Size></Contents>
      <Contents><Key>bad</Key><Size>x</Size></Contents>
      <NextContinuationToken>tok+1</NextContinuationToken></ListBucketResult>`;
    expect(parseObjectListing(xml)).toEqual({
      objects: [{ key: "a/b&c.txt", size: 12, lastModified: new Date("2026-12-01T09:00:00.000Z"), etag: '"e1"' }],
      nextToken: "tok+1",
    });
  });
});
