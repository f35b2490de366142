import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { RoomServiceClient } from "livekit-server-sdk";
import { createLiveKitNodeClient } from "../../media-fleet/livekit/livekit-node-client.ts";
import { mediaRoomName, type MediaFleet, type MediaRoomName } from "../../media-fleet/media-fleet.ts";
import { HttpRecorderPool } from "../../media-fleet/recorder-client/http-recorder.ts";
import type { RecorderMember } from "../../media-fleet/recording/recorder-pool.ts";
import type { StartCapture } from "../../media-fleet/recording/recorder.ts";
import { MeetingId, type ParticipantIdentity, TenantId } from "../../protocol/ids.ts";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { loadOrCreateSecrets, recordingsBucket, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import { localRecorders, recorderUrl } from "../../scripts/services/recorder.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LiveKitBot, type VideoOptions } from "../support/livekit-bot.ts";

/**
 * What the recorder stack tests share: the real LiveKit node A, the two local recorder processes driven through
 * the product's TypeScript client, the local S3's recordings bucket, and ffprobe over what the recorders wrote.
 */

const run = promisify(execFile);

export const localPool: RecorderMember[] = localRecorders.map((r) => ({ id: recorderUrl(r), url: recorderUrl(r) }));

export interface RecorderHarness {
  secrets: LocalSecrets;
  fleet: MediaFleet;
  roomService: RoomServiceClient;
  s3: S3Client;
  pool: HttpRecorderPool;
  newRoom(suffix: string): Promise<MediaRoomName>;
  /** A bot that publishes a moving pattern (VP8 unless `video.codec`) and a tone (Opus); it subscribes to nothing. */
  join(room: MediaRoomName, identity: string, name?: string, video?: Pick<VideoOptions, "codec" | "yuv">): Promise<LiveKitBot>;
  capture(room: MediaRoomName, excluded?: StartCapture["excluded"]): StartCapture;
  listKeys(prefix: string): Promise<string[]>;
  readManifest(key: string): Promise<RecordingManifest>;
  /** An object copied to a local file; answers its path. */
  download(key: string): Promise<string>;
  /** ffprobe's codec name for each stream of an object. */
  probe(key: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export const identity = (name: string) => name as ParticipantIdentity;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function recorderHarness(label: string): Promise<RecorderHarness> {
  const secrets = await loadOrCreateSecrets();
  const node = { url: livekitUrl, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret };
  const fleet = createLiveKitNodeClient(node);
  const roomService = new RoomServiceClient(node.url, node.apiKey, node.apiSecret, { failover: false });
  const s3 = localS3Client(secrets);
  const pool = new HttpRecorderPool({ pool: localPool, controlSecret: secrets.recorderControlSecret });
  const rooms = new Set<MediaRoomName>();
  const bots = new Set<LiveKitBot>();
  const scratch = await mkdtemp(join(tmpdir(), "recorder-test-"));
  const tenantId = TenantId.parse(crypto.randomUUID());
  const meetingId = MeetingId.parse(crypto.randomUUID());

  const listKeys = async (prefix: string) => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  };
  const read = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: recordingsBucket, Key: key }));
    return object.Body!.transformToByteArray();
  };
  const download = async (key: string) => {
    const file = join(scratch, key.replaceAll("/", "_"));
    await writeFile(file, await read(key));
    return file;
  };

  return {
    secrets,
    fleet,
    roomService,
    s3,
    pool,
    async newRoom(suffix) {
      const room = mediaRoomName(`test-recorder-${label}-${suffix}-${crypto.randomUUID().slice(0, 8)}`);
      rooms.add(room);
      await fleet.createRoom(room, { emptyTimeoutSeconds: 60, maxParticipants: 10, metadata: "{}" });
      return room;
    },
    async join(room, who, name, video) {
      const access = await fleet.mintAccessToken({
        room,
        identity: identity(who),
        name: name ?? who,
        role: "participant",
        policy: { guestsCanPublish: false },
      });
      const bot = await LiveKitBot.connect(access.url, access.token, { subscribe: false });
      bots.add(bot);
      await bot.publishVideo({ width: 320, height: 240, fps: 15, ...video });
      await bot.publishAudio();
      return bot;
    },
    capture(room, excluded = []) {
      return {
        recordingId: crypto.randomUUID(),
        tenantId,
        meetingId,
        room,
        nodeUrl: livekitUrl.replace(/^http/, "ws"),
        excluded,
        layout: "grid",
      };
    },
    listKeys,
    async readManifest(key) {
      return RecordingManifest.parse(JSON.parse(new TextDecoder().decode(await read(key))));
    },
    download,
    async probe(key) {
      const file = await download(key);
      const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "json", file]);
      return (JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams.map((s) => s.codec_name);
    },
    async cleanup() {
      await Promise.all([...bots].map((bot) => bot.disconnect()));
      for (const room of rooms) await roomService.deleteRoom(room).catch(() => undefined);
      s3.destroy();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
