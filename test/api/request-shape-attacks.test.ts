import net from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createMeeting, expectProblem, newTenant, workerUrl } from "../support/stack.ts";

let key: string;
beforeAll(async () => {
  ({ apiKey: key } = await newTenant("request-shape"));
});

describe("malformed and oversized requests", () => {
  it("refuses a body over the 64 KiB limit with 413", async () => {
    const body = { title: "big", metadata: { blob: "x".repeat(70 * 1024) } };
    await expectProblem(await api("/v1/meetings", { key, body }), 413, "payload_too_large");
  });

  it("refuses an oversized streamed body that declares no length", async () => {
    // Raw socket: the Worker answers 413 and closes while we are still writing, which makes fetch fail with
    // EPIPE before it shows the response. Reading the socket ourselves sees the answer regardless.
    const url = new URL(workerUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      let received = "";
      socket.on("data", (data) => (received += data.toString()));
      socket.on("error", () => {}); // EPIPE/ECONNRESET after the server has answered
      socket.on("close", () => resolve(received));
      setTimeout(() => reject(new Error("no answer")), 10_000).unref();
      socket.write(
        `POST /v1/meetings HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      );
      const chunk = `{"title":"${"y".repeat(16 * 1024)}`;
      let sent = 0;
      const pump = () => {
        if (socket.destroyed) return;
        if (sent++ < 8) {
          socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
          setTimeout(pump, 5);
        } else socket.write("0\r\n\r\n");
      };
      pump();
    });
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toContain('"code":"payload_too_large"');
  });

  it("refuses malformed JSON", async () => {
    const response = await api("/v1/meetings", { key, rawBody: '{"title": "x",', headers: { "content-type": "application/json" } });
    await expectProblem(response, 400, "malformed_json");
  });

  it("refuses a body that is not declared as JSON", async () => {
    const response = await api("/v1/meetings", {
      key,
      rawBody: "title=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(response, 415, "unsupported_media_type");
  });

  it.each([
    ["an unknown field", { title: "x", isAdmin: true }],
    ["a wrong type", { title: 42 }],
    ["an empty title", { title: "   " }],
    ["a JSON array", [{ title: "x" }]],
    ["end before start", { title: "x", scheduledStartAt: "2027-01-01T10:00:00Z", scheduledEndAt: "2027-01-01T09:00:00Z" }],
    ["a non-ISO date", { title: "x", scheduledStartAt: "tomorrow" }],
    ["too many participants", { title: "x", maxParticipants: 1_000_000 }],
    ["oversized metadata", { title: "x", metadata: { note: "z".repeat(5000) } }],
  ])("refuses %s with a validation problem listing the issue", async (_name, body) => {
    const problem = await expectProblem(await api("/v1/meetings", { key, body }), 400, "validation_failed");
    expect(problem.issues?.length).toBeGreaterThan(0);
  });

  it("refuses a non-uuid meeting id in the path", async () => {
    await expectProblem(await api("/v1/meetings/../../etc/passwd", { key }), 404, "route_not_found");
    await expectProblem(await api("/v1/meetings/not-a-uuid", { key }), 400, "validation_failed");
  });

  it("answers unknown routes and methods with a 404 problem", async () => {
    await expectProblem(await api("/v2/meetings", { key }), 404, "route_not_found");
    await expectProblem(await api("/admin"), 404, "route_not_found");
    await expectProblem(await api("/v1/meetings", { key, method: "PUT", body: { title: "x" } }), 404, "route_not_found");
  });

  it("loses nothing: after a burst of bad requests the tenant's data is unchanged and good requests work", async () => {
    const meeting = await createMeeting(key, { title: "Keep me" });
    for (const body of [{ title: 1 }, { nope: true }, "str"]) {
      await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", body });
    }
    await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", rawBody: "{", headers: { "content-type": "application/json" } });
    const read = (await (await api(`/v1/meetings/${meeting.id}`, { key })).json()) as {
      title: string;
      updatedAt: string;
      createdAt: string;
    };
    expect(read.title).toBe("Keep me");
    expect(read.updatedAt).toBe(read.createdAt);
  });
});
