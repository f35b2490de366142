import { createRoomSocketsApp } from "./api/room-sockets-app.ts";
import type { Env } from "./env.ts";

/**
 * Entry of the room sockets' Worker (wrangler.rooms.toml): the meeting-room WebSocket served by a Worker without
 * static assets. A Worker with assets has the asset layer in front of it, which negotiates permessage-deflate
 * with every client that offers it; this one declines (`no_web_socket_compression`), so the room never
 * compresses a frame per socket. The join-token mint hands out its origin (ROOM_SOCKETS_ORIGIN).
 */
const app = createRoomSocketsApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
