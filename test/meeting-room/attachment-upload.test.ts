import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

let connectUrl: string;
let bobConnectUrl: string;
let tenantId: string;
let meetingId: string;
beforeAll(async () => {
  const tenant = await newTenant("attachments");
  tenantId = tenant.tenantId;
  meetingId = (await createMeeting(tenant.apiKey)).id;
  ({ connectUrl } = await mintToken(tenant.apiKey, meetingId, { identity: "alice", role: "host" }));
  ({ connectUrl: bobConnectUrl } = await mintToken(tenant.apiKey, meetingId, { identity: "bob", role: "guest" }));
});

type Upload = Extract<ServerFrame, { type: "attachment_upload" }>;
type Download = Extract<ServerFrame, { type: "attachment_download" }>;

describe("chat attachments through presigned S3 uploads and downloads", () => {
  it("hands out a tenant-scoped upload URL that accepts exactly the validated file and nothing else", async () => {
    const alice = await RoomClient.join(connectUrl);
    const bytes = new TextEncoder().encode("x".repeat(2048));
    const ref = alice.send({
      type: "attachment_upload",
      name: "../../notes v1.txt",
      contentType: "text/plain",
      sizeBytes: bytes.byteLength,
    });
    const upload = await alice.next<Upload>((f) => f.type === "attachment_upload" && f.ref === ref);
    expect(upload.objectKey).toMatch(new RegExp(`^${tenantId}/${meetingId}/attachments/[0-9a-f-]{36}/\\.\\._\\.\\._notes_v1\\.txt$`));
    expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const wrongType = await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "image/png" }, body: bytes });
    expect(wrongType.status).toBe(403);
    const wrongSize = await fetch(upload.uploadUrl, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: bytes.slice(0, 100),
    });
    expect(wrongSize.status).toBe(403);
    const ok = await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: bytes });
    expect(ok.status).toBe(200);

    alice.send({
      type: "chat_send",
      clientMessageId: "with-file-1",
      body: "see attached",
      attachments: [{ objectKey: upload.objectKey, name: "notes.txt", contentType: "text/plain", sizeBytes: bytes.byteLength }],
    });
    const message = await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "with-file-1");
    expect(message.type === "chat_message" && message.message.attachments[0]?.objectKey).toBe(upload.objectKey);

    // Another participant fetches it through a short-lived GET the room hands out, as a download.
    const bob = await RoomClient.join(bobConnectUrl);
    const get = bob.send({ type: "attachment_download", objectKey: upload.objectKey });
    const download = await bob.next<Download>((f) => f.type === "attachment_download" && f.ref === get);
    const fetched = await fetch(download.downloadUrl);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-disposition")).toMatch(/^attachment; filename=/);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(bytes);
    expect(Date.parse(download.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    // The URL is for that one object: pointing it at a neighbour breaks the signature.
    const tampered = download.downloadUrl.replace(encodeURIComponent(upload.objectKey.split("/").at(-1)!), "other.txt");
    expect((await fetch(tampered)).status).toBe(403);
    bob.close();
    alice.close();
  });

  it("never hands out a link to another meeting's or tenant's object", async () => {
    const other = await newTenant("attachments-other");
    const otherMeeting = (await createMeeting(other.apiKey)).id;
    const { connectUrl: otherUrl } = await mintToken(other.apiKey, otherMeeting, { identity: "mallory", role: "host" });
    const mallory = await RoomClient.join(otherUrl);
    const uploadRef = mallory.send({ type: "attachment_upload", name: "private.txt", contentType: "text/plain", sizeBytes: 4 });
    const upload = await mallory.next<Upload>((f) => f.type === "attachment_upload" && f.ref === uploadRef);
    await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: "mine" });

    const alice = await RoomClient.join(connectUrl);
    const spoofedMeeting = upload.objectKey.replace(otherMeeting, meetingId); // same shape, our meeting id, their tenant
    for (const objectKey of [upload.objectKey, spoofedMeeting, `${tenantId}/${meetingId}/attachments/../../${upload.objectKey}`]) {
      const ref = alice.send({ type: "attachment_download", objectKey });
      expect(await alice.next((f) => f.type === "error" && f.ref === ref)).toMatchObject({ code: "not_found" });
      const cite = alice.send({
        type: "chat_send",
        clientMessageId: `steal-${crypto.randomUUID().slice(0, 8)}`,
        body: "look",
        attachments: [{ objectKey, name: "x.txt", contentType: "text/plain", sizeBytes: 4 }],
      });
      const answer = await alice.next((f) => (f.type === "error" && f.ref === cite) || f.type === "chat_message");
      expect(answer).toMatchObject({ type: "error", code: "attachment_rejected" });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // both frames draw on the 2/s chat budget
    }
    expect(alice.ofType("attachment_download")).toHaveLength(0);
    mallory.close();
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
