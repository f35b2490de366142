import { OpenAPIHono } from "@hono/zod-openapi";
import { decodeJwt } from "jose";
import { WebhookReceiver, type WebhookEvent } from "livekit-server-sdk";
import { fleetNodes } from "../../../media-fleet/fleet-config.ts";
import { routeWebhook, type LiveKitWebhook } from "../../../media-fleet/webhook-routing.ts";
import { readConfig } from "../../env.ts";
import { mediaFleetOf } from "../../media/media-fleet-config.ts";
import { WebhookReplayGuard } from "../../media/webhook-replay-guard.ts";
import { forwardMediaEvent } from "../../meeting-room/shell/meeting-room-client.ts";
import { findMeeting } from "../../meetings/meeting-repository.ts";
import { MeetingId, TenantId } from "../../../protocol/ids.ts";
import { writeUsage } from "../../usage/usage-writer.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";

/**
 * LiveKit's webhooks: signed by the node's API key (a JWT in Authorization carrying the body's SHA-256).
 * Verified, refused when stale or replayed, then turned into a media event for the meeting's room and, for
 * a participant leaving, a usage record. Not in the OpenAPI document: LiveKit is the only caller.
 */
export const livekitWebhookRoutes = new OpenAPIHono<AppEnv>();

livekitWebhookRoutes.post("/v1/livekit/webhook", async (c) => {
  const body = await c.req.text();
  const event = await verify(c.env, body, c.req.header("authorization"));
  const routed = routeWebhook(plain(event), Date.now());
  if (!routed.ok && routed.code === "stale") throw new ApiError("webhook_stale", routed.message);

  const guard = new WebhookReplayGuard(readConfig(c.env));
  if (!(await guard.claim(event.id))) throw new ApiError("webhook_replayed", `event ${event.id} was already processed`);
  try {
    if (!routed.ok) return c.json({ accepted: true, ignored: routed.code });
    const tenantId = TenantId.safeParse(routed.tenantId);
    const meetingId = MeetingId.safeParse(routed.meetingId);
    // A room name shaped like ours but naming no meeting of that tenant is not ours either.
    if (!tenantId.success || !meetingId.success || !(await findMeeting(c.get("db"), tenantId.data, meetingId.data))) {
      return c.json({ accepted: true, ignored: "unknown_meeting" });
    }
    if (routed.usage) await writeUsage(c.get("db"), { tenantId: tenantId.data, meetingId: meetingId.data }, routed.usage);
    if (routed.roomEvent) await forwardMediaEvent(c.env.MEETING_ROOM, tenantId.data, meetingId.data, routed.roomEvent);
    return c.json({ accepted: true });
  } catch (error) {
    // Not processed: let LiveKit's retry through instead of refusing it as a replay.
    await guard.release(event.id).catch(() => {});
    throw error;
  }
});

/** Picks the node's secret by the token's issuer (its API key), then checks signature, expiry and body hash. */
async function verify(env: AppEnv["Bindings"], body: string, authorization: string | undefined): Promise<WebhookEvent> {
  if (!authorization) throw new ApiError("invalid_webhook_signature", "missing Authorization");
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(authorization.replace(/^Bearer\s+/i, "")).iss;
  } catch {
    throw new ApiError("invalid_webhook_signature", "Authorization is not a signed token");
  }
  const node = fleetNodes(mediaFleetOf(env)).find((n) => n.apiKey === issuer);
  if (!node) throw new ApiError("invalid_webhook_signature", "unknown signing key");
  try {
    return await new WebhookReceiver(node.apiKey, node.apiSecret).receive(body, authorization);
  } catch {
    throw new ApiError("invalid_webhook_signature", "signature, expiry or body hash did not verify");
  }
}

function plain(event: WebhookEvent): LiveKitWebhook {
  return {
    id: event.id,
    event: event.event,
    createdAt: Number(event.createdAt),
    room: event.room ? { name: event.room.name, sid: event.room.sid } : undefined,
    participant: event.participant
      ? { identity: event.participant.identity, sid: event.participant.sid, joinedAt: Number(event.participant.joinedAt) }
      : undefined,
    track: event.track ? { sid: event.track.sid, source: trackSourceName(event.track.source), kind: String(event.track.type) } : undefined,
    egress: event.egressInfo ? { egressId: event.egressInfo.egressId, status: String(event.egressInfo.status) } : undefined,
  };
}

const trackSources: Record<number, string> = { 0: "UNKNOWN", 1: "CAMERA", 2: "MICROPHONE", 3: "SCREEN_SHARE", 4: "SCREEN_SHARE_AUDIO" };
const trackSourceName = (source: number) => trackSources[source] ?? "UNKNOWN";
