import type { Env } from "../../env.ts";
import { issueTurnCredentials } from "../../turn/turn-credentials.ts";
import { parseTurnUrls } from "../../turn/turn-urls.ts";
import type { IceServer } from "../core/room-state.ts";

/** Mints a participant's STUN/TURN servers: short-lived REST credentials per user; none when TURN is not configured. */
export type IceServerIssuer = (userId: string) => Promise<IceServer[]>;

export function turnIceServers(env: Pick<Env, "TURN_URLS" | "TURN_SECRET">): IceServerIssuer {
  return async (userId) => {
    const urls = parseTurnUrls(env.TURN_URLS);
    if (!urls.length || !env.TURN_SECRET) return [];
    const server = await issueTurnCredentials({ secret: env.TURN_SECRET, ttlSeconds: 3600, userId, urls, now: new Date() });
    return [{ urls: server.urls, username: server.username, credential: server.credential }];
  };
}
