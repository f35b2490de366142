import { recordingPrefix } from "../../protocol/recording-composition.ts";
import type { Config } from "../env.ts";
import { signPlayback } from "./playback-signature.ts";
import { playbackUrlTtlSeconds } from "./recording-objects.ts";

/** HLS playlist files live as `hls/<a>/<b>.m3u8`; in a playback path `/` is written `~` (one path segment). */
export const playbackFileOf = (key: string, root: string) => key.slice(root.length).replaceAll("/", "~");
export const playbackKeyOf = (file: string, root: string) => `${root}${file.replaceAll("~", "/")}`;

/** A signed playback link to one of the recording's playlists, on the API's own origin (`baseUrl`). */
export async function playbackUrl(baseUrl: string, config: Config, tenantId: string, recordingId: string, key: string) {
  const exp = Math.floor(Date.now() / 1000) + playbackUrlTtlSeconds;
  const sig = await signPlayback(config.WEBHOOK_SECRETS_KEY, tenantId, recordingId, exp);
  const url = new URL(`/v1/recordings/${recordingId}/playback/${playbackFileOf(key, recordingPrefix(tenantId, recordingId))}`, baseUrl);
  url.search = new URLSearchParams({ t: tenantId, exp: String(exp), sig }).toString();
  return { url: url.toString(), expiresAt: new Date(exp * 1000).toISOString() };
}
