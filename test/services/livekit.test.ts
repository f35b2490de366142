import crypto from "node:crypto";
import { SignJWT } from "jose";
import { AccessToken, RoomServiceClient, ServerError } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";

// Runs against the real livekit-server that test/global-setup.ts brought up (TEST_SERVICES must include livekit).
let secrets: LocalSecrets;
let rooms: RoomServiceClient;
// Room names are unique per run: LiveKit keeps rooms in the shared Redis, across runs and test files.
const roomName = `test-livekit-${crypto.randomUUID()}`;
const joinRoom = `${roomName}-join`;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function joinToken(apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { identity: "alice", ttl: "5m" });
  token.addGrant({ roomJoin: true, room: joinRoom });
  return token.toJwt();
}

/** The signalling endpoint's dry run: authenticates a join token without opening a WebSocket. */
async function validate(token: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${livekitUrl}/rtc/validate?access_token=${encodeURIComponent(token)}`);
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  rooms = new RoomServiceClient(livekitUrl, secrets.livekitApiKey, secrets.livekitApiSecret);
});

afterAll(async () => {
  for (const name of [roomName, joinRoom]) await rooms.deleteRoom(name).catch(() => undefined);
});

describe("local LiveKit server", () => {
  it("creates, lists, updates and deletes a room through the room service", async () => {
    const created = await rooms.createRoom({
      name: roomName,
      emptyTimeout: 120,
      maxParticipants: 8,
      metadata: JSON.stringify({ meeting: "m-1" }),
    });
    expect(created.name).toBe(roomName);
    expect(created.sid).toMatch(/^RM_/);
    expect(created.emptyTimeout).toBe(120);
    expect(created.maxParticipants).toBe(8);

    const listed = await rooms.listRooms([roomName]);
    expect(listed.map((room) => room.sid)).toEqual([created.sid]);
    expect(JSON.parse(listed[0]!.metadata)).toEqual({ meeting: "m-1" });

    const updated = await rooms.updateRoomMetadata(roomName, JSON.stringify({ meeting: "m-1", locked: true }));
    expect(JSON.parse(updated.metadata)).toEqual({ meeting: "m-1", locked: true });
    const [reread] = await rooms.listRooms([roomName]);
    expect(JSON.parse(reread!.metadata)).toEqual({ meeting: "m-1", locked: true });

    await rooms.deleteRoom(roomName);
    expect(await rooms.listRooms([roomName])).toEqual([]);
  });

  it("refuses room-service calls signed with the wrong secret or an unknown key", async () => {
    const impostors = [
      new RoomServiceClient(livekitUrl, secrets.livekitApiKey, crypto.randomBytes(32).toString("base64url")),
      new RoomServiceClient(livekitUrl, "APInobody", secrets.livekitApiSecret),
    ];
    for (const impostor of impostors) {
      const error = await impostor.listRooms().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).status).toBe(401);
    }
  });

  it("accepts a join token minted with the configured key pair", async () => {
    expect(await validate(await joinToken(secrets.livekitApiKey, secrets.livekitApiSecret))).toEqual({
      status: 200,
      body: "success",
    });
  });

  it("refuses join tokens signed with another secret or naming an unknown key", async () => {
    const otherSecret = crypto.randomBytes(32).toString("base64url");
    expect((await validate(await joinToken(secrets.livekitApiKey, otherSecret))).status).toBe(401);
    expect((await validate(await joinToken("APInobody", secrets.livekitApiSecret))).status).toBe(401);
  });

  it("refuses a genuine join token whose claims were edited after signing", async () => {
    const [header, payload, signature] = (await joinToken(secrets.livekitApiKey, secrets.livekitApiSecret)).split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const escalated = { ...claims, video: { ...claims.video, room: "someone-elses-room", roomAdmin: true } };
    expect((await validate(`${header}.${base64url(escalated)}.${signature}`)).status).toBe(401);
  });

  it("refuses an unsigned (alg none) and an expired join token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: secrets.livekitApiKey, sub: "mallory", nbf: now - 60, exp: now + 300, video: { roomJoin: true, room: joinRoom } };
    const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`;
    expect((await validate(unsigned)).status).toBe(401);

    const expired = await new SignJWT({ video: { roomJoin: true, room: joinRoom } })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(secrets.livekitApiKey)
      .setSubject("alice")
      .setNotBefore(now - 600)
      .setExpirationTime(now - 300)
      .sign(new TextEncoder().encode(secrets.livekitApiSecret));
    expect((await validate(expired)).status).toBe(401);
  });
});
