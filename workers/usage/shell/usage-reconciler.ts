import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3ClientOf } from "../../aws/s3-client.ts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { fleetNodes } from "../../../media-fleet/fleet-config.ts";
import { roomServiceTransport } from "../../../media-fleet/livekit/livekit-node-client.ts";
import { toMediaParticipant, type RoomServiceTransport } from "../../../media-fleet/livekit/rooms.ts";
import { meetingMediaRoom } from "../../../media-fleet/meeting-media-room.ts";
import { MeetingId, type TenantId } from "../../../protocol/ids.ts";
import type { QueryDatabase } from "../../db/database.ts";
import { readConfig, type Env } from "../../env.ts";
import { mediaFleetOf } from "../../media/media-fleet-config.ts";
import { forwardMediaEvent } from "../../meeting-room/shell/meeting-room-client.ts";
import { describeError, logEvent } from "../../observability/log.ts";
import { sessionsToReport, type SfuParticipantSeen } from "../sfu-reconciliation.ts";
import { parseObjectListing } from "../s3-listing.ts";
import { meterStoredObject } from "../storage-metering.ts";
import { liveMeetingIds } from "../usage-repository.ts";
import { writeUsageBatch, type UsageFact, type UsageOwner } from "../usage-writer.ts";

/**
 * A metering run for one tenant: each live meeting's SFU sessions reconciled against the fleet's own room and
 * participant lists (reported to the meeting's room, which bills them), and the object store's holdings under the
 * tenant's prefix metered. Idempotent: run it as often as wanted (POST /v1/usage/reconcile; a cron in production).
 * A node that does not answer is skipped: a dead node's sessions are closed by the room's own facts.
 */
export interface ReconcileResult {
  meetings: number;
  sessionsReported: number;
  nodesUnreachable: number;
  objectsMetered: number;
}

/** At most this many objects per run: a run is bounded in time; the next run carries on where the store lists on. */
const maxObjects = 10_000;

export async function reconcileTenantUsage(env: Env, db: QueryDatabase, tenantId: TenantId, now = new Date()): Promise<ReconcileResult> {
  const meetings = await liveMeetingIds(db, tenantId);
  const transports = fleetNodes(mediaFleetOf(env)).map((node) => roomServiceTransport(node, { requestTimeoutSeconds: 3 }));
  let sessionsReported = 0;
  let nodesUnreachable = 0;
  for (const meetingId of meetings) {
    const found = await seenOnFleet(transports, meetingMediaRoom(tenantId, meetingId));
    nodesUnreachable = Math.max(nodesUnreachable, found.unreachable);
    for (const [roomSid, seen] of found.rooms) {
      for (const event of sessionsToReport(roomSid, seen, now.getTime())) {
        await forwardMediaEvent(env.MEETING_ROOM, tenantId, MeetingId.parse(meetingId), event);
        sessionsReported++;
      }
    }
  }
  const objectsMetered = await meterObjects(env, db, tenantId, now);
  return { meetings: meetings.length, sessionsReported, nodesUnreachable, objectsMetered };
}

/** The meeting's SFU room on every node that has it (a cluster answers for all its nodes: deduplicated by room sid). */
async function seenOnFleet(transports: RoomServiceTransport[], room: string) {
  const rooms = new Map<string, SfuParticipantSeen[]>();
  let unreachable = 0;
  for (const transport of transports) {
    try {
      const [info] = await transport.listRooms([room]);
      if (!info || rooms.has(info.sid)) continue;
      const participants = await transport.listParticipants(room);
      rooms.set(
        info.sid,
        participants.flatMap((p) => {
          try {
            const media = toMediaParticipant(p);
            return [{ identity: media.identity, sid: p.sid, joinedAt: Number(p.joinedAt), hidden: media.hidden, state: media.state }];
          } catch {
            return [];
          }
        }),
      );
    } catch (error) {
      unreachable++;
      logEvent("dependency_probe_failed", { dependency: "livekit", where: "usage_reconcile", error: describeError(error) });
    }
  }
  return { rooms, unreachable };
}

async function meterObjects(env: Env, db: QueryDatabase, tenantId: TenantId, now: Date): Promise<number> {
  const config = readConfig(env);
  const s3 = s3ClientOf(config);
  let metered = 0;
  let token: string | undefined;
  do {
    // Presigned and fetched here: the SDK can't read the XML answer in workerd (no DOMParser).
    const command = new ListObjectsV2Command({ Bucket: config.S3_BUCKET, Prefix: `${tenantId}/`, ContinuationToken: token, MaxKeys: 1000 });
    const response = await fetch(await getSignedUrl(s3, command, { expiresIn: 60 }));
    if (!response.ok) throw new Error(`object store listing answered ${response.status}`);
    const page = parseObjectListing(await response.text());
    const facts: { owner: UsageOwner; entry: UsageFact }[] = [];
    for (const object of page.objects) {
      const found = meterStoredObject(tenantId, object, now);
      if (found) for (const entry of found.facts) facts.push({ owner: found.owner, entry });
    }
    await writeUsageBatch(db, facts, "object_store");
    metered += page.objects.length;
    token = page.nextToken;
  } while (token && metered < maxObjects);
  return metered;
}
