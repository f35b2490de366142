import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { poll } from "../support/poll.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { scheduledUrl } from "../../scripts/services/worker.ts";
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

  it("the daily cron runs the same pass for every active tenant", async () => {
    const tenant = await newTenant("usage-cron");
    const meeting = await createMeeting(tenant.apiKey, { title: "Cron" });
    const alice = await RoomClient.join((await mintToken(tenant.apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    try {
      const ref = alice.send({ type: "attachment_upload", name: "cron.txt", contentType: "text/plain", sizeBytes: 321 });
      const upload = await alice.next<Upload>((f) => f.type === "attachment_upload" && f.ref === ref);
      expect(
        (await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: new Uint8Array(321) })).status,
      ).toBe(200);
      // The local runtime runs a cron on request (its trigger route); the Worker's scheduled() does the rest.
      expect((await fetch(scheduledUrl("17 3 * * *"))).status).toBe(200);
      const rows = await poll(
        () => usageRowsOf(tenant.tenantId),
        (got) => got.some((r) => r.kind === "attachment_bytes"),
        20_000,
      );
      expect(rows.filter((r) => r.kind === "attachment_bytes").map((r) => r.quantity)).toEqual([321]);
    } finally {
      alice.close();
    }
  }, 40_000);
});
