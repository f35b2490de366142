import { dispose } from "@livekit/rtc-node";
import { RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

// The Worker's default threshold: the fifth participant moves the meeting from peer to peer to the SFU.
const threshold = 5;
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;

let rooms: RoomServiceClient;
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];

beforeAll(async () => {
  const secrets = await loadOrCreateSecrets();
  rooms = new RoomServiceClient(livekitUrl, secrets.livekitApiKey, secrets.livekitApiSecret);
});

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => {});
  for (const client of clients) client.close();
  await dispose();
});

describe("peer to peer → SFU switch through the meeting room", () => {
  it("the fifth joiner moves everyone onto the SFU, media flows there, and host controls reach it", async () => {
    const { apiKey, tenantId } = await newTenant("sfu-switch");
    const meeting = await createMeeting(apiKey, { title: "Growing meeting" });
    const connectUrls = [];
    for (let i = 0; i < threshold; i++) {
      connectUrls.push(
        (await mintToken(apiKey, meeting.id, { identity: `p${i}`, name: `P${i}`, role: i === 0 ? "host" : "participant" })).connectUrl,
      );
    }
    for (const url of connectUrls.slice(0, threshold - 1)) clients.push(await RoomClient.join(url));
    expect(clients.every((c) => c.ofType("welcome")[0]?.mediaMode === "p2p")).toBe(true);
    expect(clients.some((c) => c.ofType("media_mode").length > 0)).toBe(false);

    const fifthJoinAt = Date.now();
    clients.push(await RoomClient.join(connectUrls[threshold - 1]!));
    const joins: SfuJoin[] = [];
    for (const client of clients) {
      await client.next((f) => f.type === "media_mode" && f.mode === "sfu", 10_000);
      joins.push(await client.next<SfuJoin>((f) => f.type === "sfu_join", 10_000));
    }
    const credentialsAfterMs = Date.now() - fifthJoinAt;
    expect(new Set(joins.map((j) => j.token)).size).toBe(threshold);

    // Two participants take their credentials to the SFU and exchange real audio and video.
    const [a, b] = [3, 4].map((i) => joins[i]!);
    bots.push(await LiveKitBot.connect(a!.url, a!.token), await LiveKitBot.connect(b!.url, b!.token));
    const [botA, botB] = bots as [LiveKitBot, LiveKitBot];
    await Promise.all([
      botA.publishAudio(),
      botA.publishVideo({ width: 160, height: 120, fps: 15 }),
      botB.publishAudio(),
      botB.publishVideo({ width: 160, height: 120, fps: 15 }),
    ]);
    await botA.waitUntil(() => botA.from("p4").videoFrames > 10 && botA.from("p4").audioFrames > 20, 15_000, "p3 receiving p4");
    await botB.waitUntil(() => botB.from("p3").videoFrames > 10 && botB.from("p3").audioFrames > 20, 15_000, "p4 receiving p3");
    const mediaAfterMs = Date.now() - fifthJoinAt;
    console.log(
      `[sfu-switch] 5th join → everyone holds SFU credentials: ${credentialsAfterMs} ms; → media received both ways: ${mediaAfterMs} ms`,
    );

    // The SFU room is the meeting's, named for the tenant and meeting; muting in the room mutes on the SFU.
    const mediaRoom = meetingMediaRoom(tenantId, meeting.id);
    const host = clients[0]!;
    host.send({ type: "mute", target: "p3", track: "audio" });
    const mutedOnSfu = async () => (await rooms.getParticipant(mediaRoom, "p3")).tracks.some((t) => t.source === 2 && t.muted);
    for (const deadline = Date.now() + 10_000; !(await mutedOnSfu()) && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 200));
    expect(await mutedOnSfu()).toBe(true);
    expect(host.ofType("error")).toEqual([]);

    // Removing in the room removes from the SFU: the bot is disconnected by the server.
    host.send({ type: "remove", target: "p4" });
    await botB.waitUntil(() => botB.disconnectReason !== undefined, 10_000, "p4 removed from the SFU");
    expect((await rooms.listParticipants(mediaRoom)).map((p) => p.identity)).not.toContain("p4");

    // Ending the meeting closes the SFU room.
    host.send({ type: "end_meeting" });
    await botA.waitUntil(() => botA.disconnectReason !== undefined, 10_000, "room closed on the SFU");
    // The node drops its participants before the cluster forgets the room: under load, a moment apart.
    const listed = async () => (await rooms.listRooms([mediaRoom])).length;
    for (const deadline = Date.now() + 5_000; (await listed()) > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    expect(await listed()).toBe(0);
  }, 90_000);
});
