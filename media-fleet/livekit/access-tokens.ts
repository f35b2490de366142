import { AccessToken, TrackSource } from "livekit-server-sdk";
import { mediaAccess, type MediaSource } from "../media-grants.ts";
import type { MediaAccessToken, MintAccessToken } from "../media-fleet.ts";

/** LiveKit access tokens for one node's API key, with the grant media-grants.ts computes for the role. */

/** Screen share with sound (a browser tab's audio) is published as a second source; it goes with screen_share. */
const livekitSources: Record<MediaSource, TrackSource[]> = {
  camera: [TrackSource.CAMERA],
  microphone: [TrackSource.MICROPHONE],
  screen_share: [TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO],
};

/** Clients connect over WebSocket to the same host the API is served from. */
export const signalUrl = (url: string) => url.replace(/^http/, "ws");

export async function mintAccessToken(
  key: { url: string; apiKey: string; apiSecret: string },
  input: MintAccessToken,
): Promise<MediaAccessToken> {
  const { grant, ttlSeconds } = mediaAccess({ role: input.role, room: input.room, policy: input.policy, ttlSeconds: input.ttlSeconds });
  // AccessToken reads the system clock when it signs, so expiresAt does too (within a millisecond of it).
  const issuedAt = Date.now();
  const token = new AccessToken(key.apiKey, key.apiSecret, {
    identity: input.identity,
    ttl: ttlSeconds,
    // The role rides along so clients can label tiles; canUpdateOwnMetadata: false keeps it honest.
    attributes: { role: input.role },
    ...(input.name ? { name: input.name } : {}),
  });
  token.addGrant({ ...grant, canPublishSources: grant.canPublishSources.flatMap((source) => livekitSources[source]) });
  return {
    url: signalUrl(key.url),
    token: await token.toJwt(),
    expiresAt: new Date(issuedAt + ttlSeconds * 1000),
  };
}
