import WebSocket from "ws";
import { beforeAll, describe, expect, it } from "vitest";
import { ports } from "../../scripts/lib/local-config.ts";
import { roomSocketsUrl } from "../../scripts/services/worker.ts";
import { refusedConnect } from "../support/refused-connect.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, expectProblem, mintToken, newTenant, workerUrl } from "../support/stack.ts";

// The room sockets' Worker (wrangler.rooms.toml): the meeting-room WebSocket from a Worker without static assets,
// which declines permessage-deflate. Runs against the stack's runtime, where both Workers share one workerd.

const roomSocketsOrigin = roomSocketsUrl.replace(/^http/, "ws");
let key: string;
beforeAll(async () => {
  ({ apiKey: key } = await newTenant("room-sockets"));
});

/** Opens a socket offering compression as Chromium does (ws's default offer is Chromium's) and reports what was agreed. */
async function negotiatedExtensions(url: string): Promise<string> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  socket.close();
  return socket.extensions;
}

describe("the room sockets' Worker", () => {
  it("is where join tokens send clients", async () => {
    const meeting = await createMeeting(key);
    const { connectUrl } = await mintToken(key, meeting.id);
    expect(new URL(connectUrl).origin).toBe(`ws://127.0.0.1:${ports.roomSockets}`);
    expect(new URL(connectUrl).pathname).toBe(`/v1/meetings/${meeting.id}/connect`);
  });

  it("declines permessage-deflate from a client that offers it; the API Worker's route, behind its asset layer, accepts it", async () => {
    const meeting = await createMeeting(key);
    const { connectUrl } = await mintToken(key, meeting.id);
    expect(await negotiatedExtensions(connectUrl)).toBe("");
    expect(await negotiatedExtensions(connectUrl.replace(`:${ports.roomSockets}/`, `:${ports.worker}/`))).toMatch(/^permessage-deflate/);
  });

  it("reaches the same room as the API Worker's route: one roster, one chat", async () => {
    const meeting = await createMeeting(key, { title: "two doors", waitingRoom: false });
    const alice = await RoomClient.join((await mintToken(key, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const bobUrl = (await mintToken(key, meeting.id, { identity: "bob", role: "participant" })).connectUrl;
    const bob = await RoomClient.join(bobUrl.replace(`:${ports.roomSockets}/`, `:${ports.worker}/`));
    expect(
      bob
        .ofType("welcome")[0]!
        .roster.map((r) => r.identity)
        .sort(),
    ).toEqual(["alice", "bob"]);
    alice.send({ type: "chat_send", clientMessageId: "over-the-rooms-worker", body: "hello bob", attachments: [] });
    await bob.next((f) => f.type === "chat_message" && f.message.body === "hello bob");
    alice.socket.close();
    bob.socket.close();
  });

  it("refuses what the API Worker's route refuses: no token, a bad token, another meeting's token", async () => {
    const meeting = await createMeeting(key);
    const other = await createMeeting(key);
    const connect = (meetingId: string, query: string) => refusedConnect(`${roomSocketsOrigin}/v1/meetings/${meetingId}/connect${query}`);
    await expectProblem(await connect(meeting.id, ""), 401, "unauthorized");
    await expectProblem(await connect(meeting.id, "?token=not-a-jwt"), 401, "invalid_join_token");
    const { token } = await mintToken(key, other.id);
    await expectProblem(await connect(meeting.id, `?token=${token}`), 401, "invalid_join_token");
  });

  it("serves nothing but the room socket and health: the API's routes are not there", async () => {
    const response = await fetch(`${roomSocketsUrl}/v1/meetings`, { headers: { authorization: `Bearer ${key}` } });
    await expectProblem(response, 404, "route_not_found");
    expect((await fetch(`${workerUrl}/v1/meetings`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });
});
