import crypto from "node:crypto";
import { DisconnectReason, dispose } from "@livekit/rtc-node";
import { SignJWT } from "jose";
import { RoomServiceClient, ServerError } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaFleetError, type MediaFleetErrorCode } from "../../media-fleet/errors.ts";
import { mediaRoomName, type MediaFleet, type MediaRoomName } from "../../media-fleet/media-fleet.ts";
import type { MediaPolicy, MediaRole } from "../../media-fleet/media-grants.ts";
import { createLiveKitNodeClient, LiveKitNodeClient, type LiveKitNode } from "../../media-fleet/livekit/livekit-node-client.ts";
import type { RoomServiceTransport } from "../../media-fleet/livekit/rooms.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import type { ParticipantIdentity } from "../../protocol/ids.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";

// Runs against the real livekit-server that test/global-setup.ts brought up (TEST_SERVICES must include livekit),
// with real WebRTC clients (@livekit/rtc-node) publishing and receiving media through it.

const runId = `test-fleet-${crypto.randomUUID()}`;
const roomFor = (suffix: string) => mediaRoomName(`${runId}-${suffix}`);
const identity = (name: string) => name as ParticipantIdentity;
const guestsMayNotPublish: MediaPolicy = { guestsCanPublish: false };
const settings = { emptyTimeoutSeconds: 60, maxParticipants: 10, metadata: "{}" };

let node: LiveKitNode;
let fleet: MediaFleet;
/** Read-only second opinion on what the adapter did, straight from the SDK. */
let roomService: RoomServiceClient;
const rooms = new Set<MediaRoomName>();
const bots = new Set<LiveKitBot>();

async function createRoom(suffix: string, overrides: Partial<typeof settings> = {}) {
  const room = roomFor(suffix);
  rooms.add(room);
  return fleet.createRoom(room, { ...settings, ...overrides });
}

async function join(
  room: MediaRoomName,
  who: string,
  role: MediaRole,
  options: { policy?: MediaPolicy; subscribe?: boolean } = {},
): Promise<LiveKitBot> {
  const access = await fleet.mintAccessToken({
    room,
    identity: identity(who),
    name: who,
    role,
    policy: options.policy ?? guestsMayNotPublish,
  });
  const bot = await LiveKitBot.connect(access.url, access.token, { subscribe: options.subscribe ?? true });
  bots.add(bot);
  return bot;
}

async function failureOf(action: Promise<unknown>): Promise<MediaFleetErrorCode> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected the call to fail").toBeInstanceOf(MediaFleetError);
  return (error as MediaFleetError).code;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const secrets = await loadOrCreateSecrets();
  node = { url: livekitUrl, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret };
  fleet = createLiveKitNodeClient(node);
  roomService = new RoomServiceClient(node.url, node.apiKey, node.apiSecret, { failover: false });
});

afterAll(async () => {
  await Promise.all([...bots].map((bot) => bot.disconnect()));
  for (const room of rooms) await roomService.deleteRoom(room).catch(() => undefined);
  // Stops the native WebRTC runtime; without it the worker process never exits.
  await dispose();
});

describe("room lifecycle", () => {
  const room = roomFor("lifecycle");
  let host: LiveKitBot;
  let guest: LiveKitBot;

  it("creates a room with the meeting's settings, as the node's room list confirms", async () => {
    const metadata = JSON.stringify({ meetingId: "m-1", title: "Standup" });
    const created = await createRoom("lifecycle", { emptyTimeoutSeconds: 120, maxParticipants: 7, metadata });
    expect(created).toMatchObject({ name: room, emptyTimeoutSeconds: 120, maxParticipants: 7, metadata, participantCount: 0 });
    expect(created.sid).toMatch(/^RM_/);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);

    const [listed] = await roomService.listRooms([room]);
    expect(listed).toMatchObject({ sid: created.sid, emptyTimeout: 120, maxParticipants: 7, metadata });
  });

  it("creating an existing room returns it unchanged instead of failing", async () => {
    const again = await fleet.createRoom(room, { emptyTimeoutSeconds: 5, maxParticipants: 2, metadata: "other" });
    expect(again).toMatchObject({ name: room, emptyTimeoutSeconds: 120, maxParticipants: 7 });
  });

  it("lists the participants who joined, with what they publish", async () => {
    host = await join(room, "host-1", "host");
    guest = await join(room, "guest-1", "guest");
    await host.publishAudio();
    await guest.waitUntil(() => guest.from("host-1").audioFrames > 0, 5_000, "host audio");

    const participants = await fleet.listParticipants(room);
    expect(participants.map((p) => p.identity).sort()).toEqual(["guest-1", "host-1"]);
    const hostInfo = participants.find((p) => p.identity === "host-1")!;
    expect(hostInfo).toMatchObject({ name: "host-1", state: "active", hidden: false, recorder: false });
    expect(hostInfo.tracks).toEqual([{ sid: expect.stringMatching(/^TR_/), kind: "audio", source: "microphone", muted: false }]);
    expect(participants.find((p) => p.identity === "guest-1")!.tracks).toEqual([]);
    // What placement weighs: the node counts this room and its two participants (and whatever else it carries).
    // LiveKit refreshes a room's participant count in its room list every few seconds, not on each join.
    let load = await fleet.load();
    for (const deadline = Date.now() + 15_000; load.participants < 2 && Date.now() < deadline; load = await fleet.load()) await sleep(250);
    expect(load.rooms).toBeGreaterThanOrEqual(1);
    expect(load.participants).toBeGreaterThanOrEqual(2);
  });

  it("updates the room metadata; the node stores it and clients in the room are told", async () => {
    const metadata = JSON.stringify({ locked: true });
    expect((await fleet.updateRoomMetadata(room, metadata)).metadata).toBe(metadata);
    expect((await roomService.listRooms([room]))[0]!.metadata).toBe(metadata);
    await guest.waitUntil(() => guest.roomMetadata === metadata, 5_000, "room metadata update");
  });

  it("closing the room disconnects everyone in it and deletes it", async () => {
    await fleet.closeRoom(room);
    await host.waitUntil(() => host.disconnectReason !== undefined && guest.disconnectReason !== undefined, 5_000, "room closed");
    expect([host.disconnectReason, guest.disconnectReason]).toEqual([DisconnectReason.ROOM_DELETED, DisconnectReason.ROOM_DELETED]);
    expect(await roomService.listRooms([room])).toEqual([]);
  });

  it("every room call on a room that does not exist fails with room_not_found", async () => {
    const missing = roomFor("never-created");
    expect(await failureOf(fleet.listParticipants(missing))).toBe("room_not_found");
    expect(await failureOf(fleet.updateRoomMetadata(missing, "{}"))).toBe("room_not_found");
    expect(await failureOf(fleet.closeRoom(missing))).toBe("room_not_found");
    expect(await failureOf(fleet.closeRoom(room))).toBe("room_not_found"); // closed above
  });
});

describe("tokens per role", () => {
  const room = roomFor("tokens");
  let host: LiveKitBot;
  let guest: LiveKitBot;

  beforeAll(async () => {
    await createRoom("tokens");
    host = await join(room, "host", "host");
    guest = await join(room, "guest", "guest");
  });

  it("a host's audio and video reach a guest through the SFU", async () => {
    const started = performance.now();
    await Promise.all([host.publishAudio(), host.publishVideo({ width: 320, height: 240, fps: 20 })]);
    await guest.waitUntil(() => guest.from("host").videoFrames > 20 && guest.from("host").audioFrames > 50, 10_000, "host media");
    const received = guest.from("host");
    expect(received.audibleAudioFrames).toBeGreaterThan(40);
    console.info(
      `[livekit-adapter] first audio ${(received.firstAudioAt! - started).toFixed(0)} ms, first video ${(received.firstVideoAt! - started).toFixed(0)} ms after publish; ` +
        `${received.videoFrames} video / ${received.audioFrames} audio frames after ${(performance.now() - started).toFixed(0)} ms`,
    );
  });

  it("a guest may publish only what the policy allows: the node refuses the rest and nothing of it reaches the host", async () => {
    const barred = await join(room, "barred-guest", "guest", { policy: guestsMayNotPublish, subscribe: false });
    const micOnly = await join(room, "mic-guest", "guest", {
      policy: { guestsCanPublish: true, guestSources: ["microphone"] },
      subscribe: false,
    });
    await micOnly.publishAudio();
    // The node drops a publish it does not permit without answering; the client gives up after 10 s.
    const [barredMic, micOnlyCamera] = await Promise.allSettled([
      barred.publishAudio({ timeoutMs: 15_000 }),
      micOnly.publishVideo({ timeoutMs: 15_000 }),
    ]);
    for (const refused of [barredMic, micOnlyCamera]) {
      expect(refused.status).toBe("rejected");
      expect(String((refused as PromiseRejectedResult).reason)).toMatch(/no response received from the server/);
    }

    const participants = await fleet.listParticipants(room);
    expect(participants.find((p) => p.identity === "barred-guest")!.tracks).toEqual([]);
    expect(participants.find((p) => p.identity === "mic-guest")!.tracks.map((t) => t.source)).toEqual(["microphone"]);
    expect(host.from("mic-guest").audibleAudioFrames).toBeGreaterThan(0);
    expect(host.from("barred-guest")).toMatchObject({ audioFrames: 0, videoFrames: 0 });
    expect(host.from("mic-guest").videoFrames).toBe(0);
    expect(host.tracksPublished.filter((t) => t.identity === "barred-guest")).toEqual([]);
    expect(host.tracksPublished.filter((t) => t.identity === "mic-guest").map((t) => t.kind)).toEqual(["audio"]);
  }, 30_000);

  it("a recorder receives the meeting but is invisible to the participants", async () => {
    const recorder = await join(room, "recorder", "recorder");
    await recorder.waitUntil(() => recorder.from("host").videoFrames > 10 && recorder.from("host").audioFrames > 20, 10_000, "host media");
    // By now the join has long been announced to anyone it would be announced to.
    expect(host.participantsSeen).not.toContain("recorder");
    expect(guest.participantsSeen).not.toContain("recorder");
    expect(guest.remoteIdentities).not.toContain("recorder");
    expect(recorder.remoteIdentities).toContain("host");

    const listed = (await fleet.listParticipants(room)).find((p) => p.identity === "recorder");
    expect(listed).toMatchObject({ hidden: true, recorder: true, tracks: [] });
  });

  it("the node refuses an expired token, a token signed with another secret, and a tampered token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ video: { roomJoin: true, room, canSubscribe: true } })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(node.apiKey)
      .setSubject("late")
      .setNotBefore(now - 900)
      .setExpirationTime(now - 300)
      .sign(new TextEncoder().encode(node.apiSecret));

    const impostor = createLiveKitNodeClient({ ...node, apiSecret: crypto.randomBytes(32).toString("base64url") });
    const forged = (await impostor.mintAccessToken({ room, identity: identity("mallory"), role: "host", policy: guestsMayNotPublish }))
      .token;

    const genuine = (await fleet.mintAccessToken({ room, identity: identity("eve"), role: "guest", policy: guestsMayNotPublish })).token;
    const [header, payload, signature] = genuine.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const escalated = { ...claims, video: { ...claims.video, canPublish: true, roomAdmin: true } };
    const tampered = `${header}.${Buffer.from(JSON.stringify(escalated)).toString("base64url")}.${signature}`;

    for (const token of [expired, forged, tampered]) {
      const outcome = await LiveKitBot.connect(node.url, token).then(
        (bot) => (bots.add(bot), "connected"),
        () => "refused",
      );
      expect(outcome).toBe("refused");
    }
    const present = (await fleet.listParticipants(room)).map((p) => p.identity);
    for (const intruder of ["late", "mallory", "eve"]) expect(present).not.toContain(intruder);
  });
});

describe("moderation", () => {
  const room = roomFor("moderation");
  let host: LiveKitBot;
  let cohost: LiveKitBot;
  let participant: LiveKitBot;
  let listener: LiveKitBot;
  const trackOf = async (who: string, kind: "audio" | "video") =>
    (await fleet.listParticipants(room)).find((p) => p.identity === who)!.tracks.find((t) => t.kind === kind)!;

  beforeAll(async () => {
    await createRoom("moderation");
    // Publishers don't subscribe: every subscription is a decoder on a two-core machine.
    [host, cohost, participant, listener] = await Promise.all([
      join(room, "host", "host", { subscribe: false }),
      join(room, "cohost", "cohost", { subscribe: false }),
      join(room, "pat", "participant", { subscribe: false }),
      join(room, "listener", "guest"),
    ]);
    await Promise.all([host.publishAudio(), host.publishVideo(), cohost.publishAudio(), participant.publishAudio()]);
    await listener.waitUntil(
      () => listener.from("host").videoFrames > 10 && ["host", "cohost", "pat"].every((who) => listener.from(who).audibleAudioFrames > 20),
      10_000,
      "everyone's media",
    );
  });

  /** Counts what arrives from `who` over `ms`, after `settleMs` for frames already in flight. */
  async function arrivingFrom(who: string, settleMs = 300, ms = 700) {
    await sleep(settleMs);
    const before = listener.from(who);
    await sleep(ms);
    const after = listener.from(who);
    return { audible: after.audibleAudioFrames - before.audibleAudioFrames, video: after.videoFrames - before.videoFrames };
  }

  it("muting a track mutes it on the SFU: the node reports it, subscribers are told, and its sound stops", async () => {
    const mic = await trackOf("pat", "audio");
    expect(await fleet.muteTrack(room, identity("pat"), mic.sid)).toMatchObject({ sid: mic.sid, kind: "audio", muted: true });
    expect((await trackOf("pat", "audio")).muted).toBe(true);
    await listener.waitUntil(() => listener.tracksMuted.some((t) => t.trackSid === mic.sid), 5_000, "mute event");
    expect((await arrivingFrom("pat")).audible).toBe(0);
    expect((await arrivingFrom("host", 0)).audible).toBeGreaterThan(30); // the others are still heard
  });

  it("muting a participant's video mutes their camera and its frames stop", async () => {
    const muted = await fleet.muteParticipant(room, identity("host"), "video");
    expect(muted).toEqual([expect.objectContaining({ kind: "video", source: "camera", muted: true })]);
    await listener.waitUntil(() => listener.tracksMuted.some((t) => t.trackSid === muted[0]!.sid), 5_000, "mute event");
    expect((await arrivingFrom("host")).video).toBe(0);
    expect((await trackOf("host", "audio")).muted).toBe(false);
  });

  it("mute all silences every microphone except the host who asked", async () => {
    const muted = await fleet.muteAll(room, { kind: "audio", except: [identity("host")] });
    // pat's microphone was already muted, so only the cohost's changes.
    expect(muted.map((m) => [m.identity, m.track.source, m.track.muted])).toEqual([["cohost", "microphone", true]]);
    expect((await trackOf("cohost", "audio")).muted).toBe(true);
    expect((await trackOf("host", "audio")).muted).toBe(false);
    const [fromCohost, fromHost] = await Promise.all([arrivingFrom("cohost"), arrivingFrom("host")]);
    expect(fromCohost.audible).toBe(0);
    expect(fromHost.audible).toBeGreaterThan(30);
  });

  it("removing a participant disconnects them and drops them from the room", async () => {
    await fleet.removeParticipant(room, identity("pat"));
    await participant.waitUntil(() => participant.disconnectReason !== undefined, 5_000, "removal");
    expect(participant.disconnectReason).toBe(DisconnectReason.PARTICIPANT_REMOVED);
    expect((await fleet.listParticipants(room)).map((p) => p.identity)).not.toContain("pat");
  });

  it("acting on someone or something that is not there fails with its code, never a silent success", async () => {
    const hostMic = await trackOf("host", "audio");
    const missingRoom = roomFor("no-such-room");
    expect(await failureOf(fleet.muteTrack(room, identity("nobody"), hostMic.sid))).toBe("participant_not_found");
    expect(await failureOf(fleet.muteTrack(room, identity("host"), "TR_doesnotexist"))).toBe("track_not_found");
    expect(await failureOf(fleet.muteTrack(missingRoom, identity("host"), hostMic.sid))).toBe("room_not_found");
    expect(await failureOf(fleet.muteParticipant(room, identity("pat"), "audio"))).toBe("participant_not_found"); // removed above
    expect(await failureOf(fleet.muteParticipant(missingRoom, identity("host"), "audio"))).toBe("room_not_found");
    expect(await failureOf(fleet.muteAll(missingRoom, { kind: "audio" }))).toBe("room_not_found");
    expect(await failureOf(fleet.removeParticipant(room, identity("pat")))).toBe("participant_not_found");
    expect(await failureOf(fleet.removeParticipant(missingRoom, identity("host")))).toBe("room_not_found");
    // None of it touched the host's microphone.
    expect((await trackOf("host", "audio")).muted).toBe(false);
  });
});

describe("node failures", () => {
  it("a wrong API secret is unauthorized and a node that is down is node_unreachable", async () => {
    const wrongSecret = createLiveKitNodeClient({ ...node, apiSecret: crypto.randomBytes(32).toString("base64url") });
    expect(await failureOf(wrongSecret.createRoom(roomFor("impostor"), settings))).toBe("unauthorized");
    const down = createLiveKitNodeClient({ ...node, url: "http://127.0.0.1:1" });
    expect(await failureOf(down.listParticipants(roomFor("down")))).toBe("node_unreachable");
  });

  it("a server error from the transport is sfu_error, and its echoed token is not in the message", async () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const failing = { mutePublishedTrack: () => Promise.reject(new ServerError("Internal", `boom for ${token}`, 500, "internal")) };
    const stub = {
      getParticipant: async () => ({
        identity: "host",
        sid: "PA_1",
        name: "host",
        state: 2,
        permission: undefined,
        tracks: [{ sid: "TR_1", type: 0, source: 2, muted: false }],
      }),
      ...failing,
    } as unknown as RoomServiceTransport;
    const error = await new LiveKitNodeClient(node, stub).muteTrack(roomFor("stub"), identity("host"), "TR_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaFleetError);
    expect((error as MediaFleetError).code).toBe("sfu_error");
    expect((error as MediaFleetError).message).not.toContain(token);
  });
});
