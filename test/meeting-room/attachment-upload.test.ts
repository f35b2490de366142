import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../workers/protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

let connectUrl: string;
let tenantId: string;
let meetingId: string;
beforeAll(async () => {
  const tenant = await newTenant("attachments");
  tenantId = tenant.tenantId;
  meetingId = (await createMeeting(tenant.apiKey)).id;
  ({ connectUrl } = await mintToken(tenant.apiKey, meetingId, { identity: "alice", role: "host" }));
});

type Upload = Extract<ServerFrame, { type: "attachment_upload" }>;

describe("chat attachments through presigned S3 uploads", () => {
  it("hands out a tenant-scoped upload URL that accepts exactly the validated file and nothing else", async () => {
    const alice = await RoomClient.join(connectUrl);
    const bytes = new TextEncoder().encode("x".repeat(2048));
    const ref = alice.send({ type: "attachment_upload", name: "../../notes v1.txt", contentType: "text/plain", sizeBytes: bytes.byteLength });
    const upload = await alice.next<Upload>((f) => f.type === "attachment_upload" && f.ref === ref);
    expect(upload.objectKey).toMatch(new RegExp(`^${tenantId}/${meetingId}/attachments/[0-9a-f-]{36}/\\.\\._\\.\\._notes_v1\\.txt$`));
    expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const wrongType = await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "image/png" }, body: bytes });
    expect(wrongType.status).toBe(403);
    const wrongSize = await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: bytes.slice(0, 100) });
    expect(wrongSize.status).toBe(403);
    const ok = await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: bytes });
    expect(ok.status).toBe(200);

    alice.send({ type: "chat_send", clientMessageId: "with-file-1", body: "see attached", attachments: [{ objectKey: upload.objectKey, name: "notes.txt", contentType: "text/plain", sizeBytes: bytes.byteLength }] });
    const message = await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "with-file-1");
    expect(message.type === "chat_message" && message.message.attachments[0]?.objectKey).toBe(upload.objectKey);
    alice.close();
  });

  it("refuses disallowed types and oversized files without handing out a URL", async () => {
    const alice = await RoomClient.join(connectUrl);
    const exe = alice.send({ type: "attachment_upload", name: "run.exe", contentType: "application/x-msdownload", sizeBytes: 10 });
    expect(await alice.next((f) => f.type === "error" && f.ref === exe)).toMatchObject({ code: "attachment_rejected" });
    const huge = alice.send({ type: "attachment_upload", name: "movie.mp4", contentType: "video/mp4", sizeBytes: 1024 ** 3 });
    expect(await alice.next((f) => f.type === "error" && f.ref === huge)).toMatchObject({ code: "attachment_rejected" });
    expect(alice.ofType("attachment_upload")).toHaveLength(0);
    alice.close();
  });
});
