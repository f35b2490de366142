import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { usageRowsOf } from "./usage-facts.ts";

type Upload = Extract<ServerFrame, { type: "attachment_upload" }>;

// Storage is metered from what the object store holds, not from what was presigned: an upload URL never used
// bills nothing; an uploaded attachment bills its bytes once and a byte-day for the day, however often the pass runs.
describe("metering what the object store holds", () => {
  it("bills uploaded attachments (bytes and today's byte-days) once, and presigned-but-unused uploads not at all", async () => {
    const tenant = await newTenant("usage-storage");
    const meeting = await createMeeting(tenant.apiKey, { title: "Files" });
    const alice = await RoomClient.join((await mintToken(tenant.apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    try {
      const sizes = [2048, 777];
      const keys: string[] = [];
      for (const size of sizes) {
        const ref = alice.send({
          type: "attachment_upload",
          name: `f${size}.txt`,
          contentType: "text/plain",
          sizeBytes: size,
        });
        const upload = await alice.next<Upload>((f) => f.type === "attachment_upload" && f.ref === ref);
        const put = await fetch(upload.uploadUrl, {
          method: "PUT",
          headers: { "content-type": "text/plain" },
          body: new Uint8Array(size),
        });
        expect(put.status).toBe(200);
        keys.push(upload.objectKey);
      }
      // Presigned, never uploaded.
      const unused = alice.send({ type: "attachment_upload", name: "never.txt", contentType: "text/plain", sizeBytes: 5000 });
      await alice.next<Upload>((f) => f.type === "attachment_upload" && f.ref === unused);

      for (let run = 0; run < 2; run++) {
        const response = await api("/v1/usage/reconcile", { key: tenant.apiKey, method: "POST" });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ objectsMetered: 2 });
      }
      const rows = await usageRowsOf(tenant.tenantId);
      const bytes = rows.filter((r) => r.kind === "attachment_bytes");
      const days = rows.filter((r) => r.kind === "storage_byte_days");
      expect(bytes.map((r) => r.quantity).sort((a, b) => a - b)).toEqual([777, 2048]);
      expect(days.map((r) => r.quantity).sort((a, b) => a - b)).toEqual([777, 2048]);
      expect(rows.every((r) => r.source === "object_store" && r.meetingId === meeting.id)).toBe(true);
      expect(bytes.map((r) => r.sourceId.split(":")[1]).sort()).toEqual([...keys].sort());
    } finally {
      alice.close();
    }
  }, 30_000);
});
