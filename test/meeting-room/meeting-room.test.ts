import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

let key: string;
beforeAll(async () => {
  ({ apiKey: key } = await newTenant("meeting-room"));
});

async function meetingWith(options: { waitingRoom?: boolean } = {}) {
  const meeting = await createMeeting(key, { title: "room test", waitingRoom: options.waitingRoom ?? false });
  const join = async (identity: string, role: "host" | "cohost" | "participant" | "guest" = "participant") =>
    RoomClient.join((await mintToken(key, meeting.id, { identity, role, name: identity })).connectUrl);
  return { meeting, join };
}

describe("MeetingRoom Durable Object under workerd", () => {
  it("joins two participants: each sees the other in the roster, with TURN servers in the welcome", async () => {
    const { join } = await meetingWith();
    const alice = await join("alice", "host");
    const bob = await join("bob");
    const welcome = bob.ofType("welcome")[0]!;
    expect(welcome.roster.map((r) => r.identity).sort()).toEqual(["alice", "bob"]);
    expect(welcome.iceServers[0]?.urls.some((u) => u.startsWith("turn:"))).toBe(true);
    expect(welcome.iceServers[0]?.username).toMatch(/^\d+:/);
    await alice.next((f) => f.type === "participant_joined" && f.participant.identity === "bob");
  });

  it("delivers chat to everyone in one order, and a resent message is stored once", async () => {
    const { join } = await meetingWith();
    const alice = await join("alice", "host");
    const bob = await join("bob");
    for (let i = 0; i < 5; i++) alice.send({ type: "chat_send", clientMessageId: `alice-msg-${i}`, body: `hello ${i}`, attachments: [] });
    bob.send({ type: "chat_send", clientMessageId: "alice-msg-0-bob", body: "hi", attachments: [] });
    // Past the chat burst limit (5), so wait for a token before the resend.
    await new Promise((resolve) => setTimeout(resolve, 700));
    alice.send({ type: "chat_send", clientMessageId: "alice-msg-0", body: "hello 0 again", attachments: [] });
    await bob.next((f) => f.type === "chat_message" && f.message.body === "hi");
    await alice.next((f) => f.type === "chat_message" && f.message.body === "hi");
    await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "alice-msg-0", 5000, 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen = (client: RoomClient) => client.ofType("chat_message").map((f) => f.message.seq);
    expect(new Set(seen(bob)).size).toBe(6);
    expect(seen(bob)).toEqual([...seen(bob)].sort((a, b) => a - b));
    // The resend is acknowledged to alice with the original body, never broadcast again.
    expect(
      alice
        .ofType("chat_message")
        .filter((f) => f.message.clientMessageId === "alice-msg-0")
        .map((f) => f.message.body),
    ).toEqual(["hello 0", "hello 0"]);
    bob.send({ type: "chat_history", limit: 10 });
    const history = await bob.next<Extract<ServerFrame, { type: "chat_history" }>>((f) => f.type === "chat_history");
    expect(history.messages).toHaveLength(6);
  });

  it("relays signaling only between the named peers", async () => {
    const { join } = await meetingWith();
    const a = await join("a", "host");
    const b = await join("b");
    const c = await join("c");
    a.send({ type: "signal", to: "b", payload: { kind: "offer", sdp: "v=0\r\n" } });
    const got = await b.next((f) => f.type === "signal");
    expect(got).toMatchObject({ from: "a", payload: { kind: "offer", sdp: "v=0\r\n" } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.ofType("signal")).toHaveLength(0);
  });

  it("answers bad frames with error frames and keeps the connection and the room working", async () => {
    const { join } = await meetingWith();
    const a = await join("a", "host");
    a.sendRaw("not json");
    a.sendRaw(JSON.stringify({ id: "u1", type: "teleport" }));
    a.sendRaw(JSON.stringify({ id: "v1", type: "chat_send", clientMessageId: "x", body: 5 }));
    a.sendRaw(JSON.stringify({ id: "big", type: "ping", pad: "x".repeat(70 * 1024) }));
    await a.next((f) => f.type === "error" && f.code === "frame_too_large");
    const codes = a.ofType("error").map((f) => [f.code, f.ref]);
    expect(codes).toEqual([
      ["malformed_frame", undefined],
      ["unknown_frame_type", "u1"],
      ["invalid_frame", "v1"],
      ["frame_too_large", undefined],
    ]);
    const ping = a.send({ type: "ping" });
    expect(await a.next((f) => f.type === "pong")).toMatchObject({ ref: ping });
    expect(a.closed).toBeUndefined();
  });

  it("rate-limits a chat flood with rate_limited errors instead of dropping the connection", async () => {
    const { join } = await meetingWith();
    const a = await join("a", "host");
    for (let i = 0; i < 12; i++) a.send({ type: "chat_send", clientMessageId: `flood-00${i}`, body: `spam ${i}`, attachments: [] });
    await a.next((f) => f.type === "error" && f.code === "rate_limited");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.ofType("chat_message").length).toBeLessThan(12);
    expect(a.closed).toBeUndefined();
  });

  it("a participant who drops and resumes gets exactly the frames it missed", async () => {
    const { join, meeting } = await meetingWith();
    const alice = await join("alice", "host");
    const bob = await join("bob");
    await alice.next((f) => f.type === "participant_joined");
    const lastSeq = bob.lastSeq();
    bob.drop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 3; i++) alice.send({ type: "chat_send", clientMessageId: `missed-${i}-000`, body: `missed ${i}`, attachments: [] });
    await alice.next((f) => f.type === "chat_message" && f.message.body === "missed 2");
    const again = await RoomClient.join((await mintToken(key, meeting.id, { identity: "bob", role: "participant" })).connectUrl, lastSeq);
    await again.next((f) => f.type === "resumed");
    const replayed = again.frames.filter((f) => f.type !== "resumed");
    expect(replayed.map((f) => f.type === "chat_message" && f.message.body)).toEqual(["missed 0", "missed 1", "missed 2"]);
    expect(replayed.every((f) => f.seq > lastSeq)).toBe(true);
    expect(again.ofType("welcome")).toHaveLength(0);
  });

  it("host controls work for the host and are forbidden to a participant", async () => {
    const { join } = await meetingWith();
    const host = await join("host", "host");
    const p = await join("p");
    const q = await join("q");
    p.send({ type: "mute", target: "q", track: "audio" });
    expect(await p.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
    host.send({ type: "mute", target: "q", track: "audio" });
    expect(await q.next((f) => f.type === "muted")).toMatchObject({ track: "audio", by: "host" });
    host.send({ type: "remove", target: "p" });
    expect((await p.waitClosed()).code).toBe(4001);
    await q.next((f) => f.type === "participant_left" && f.identity === "p");
  });

  it("waiting room: a host sees the queue, admits one guest and denies another, who cannot return with the same token", async () => {
    const { join, meeting } = await meetingWith({ waitingRoom: true });
    const host = await join("host", "host");
    const guest = await join("guest", "guest");
    expect(guest.frames[0]).toMatchObject({ type: "waiting_room" });
    await host.next((f) => f.type === "lobby_updated" && f.lobby.some((e) => e.identity === "guest"));
    host.send({ type: "admit", target: "guest" });
    const welcome = await guest.next((f) => f.type === "welcome");
    expect(welcome).toMatchObject({ self: { identity: "guest", role: "guest" } });

    const { connectUrl } = await mintToken(key, meeting.id, { identity: "intruder", role: "guest" });
    const intruder = await RoomClient.join(connectUrl);
    host.send({ type: "deny", target: "intruder" });
    await intruder.next((f) => f.type === "denied");
    expect((await intruder.waitClosed()).code).toBe(4003);
    const retry = await RoomClient.join(connectUrl);
    expect(retry.frames[0]).toMatchObject({ type: "error", code: "forbidden" });
  });

  it("relays E2EE public keys and key packages", async () => {
    const { join } = await meetingWith();
    const a = await join("a", "host");
    const b = await join("b");
    a.send({ type: "e2ee_publish_key", publicKey: { kty: "EC", crv: "P-256", x: "x1", y: "y1" } });
    expect(await b.next((f) => f.type === "e2ee_key")).toMatchObject({ identity: "a", publicKey: { x: "x1" } });
    a.send({ type: "e2ee_key_package", to: "b", keyId: 1, ciphertext: "c2VjcmV0", iv: "aXY=" });
    expect(await b.next((f) => f.type === "e2ee_key_package")).toMatchObject({ from: "a", ciphertext: "c2VjcmV0" });
  });
});
