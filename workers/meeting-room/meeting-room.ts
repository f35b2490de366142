import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../env.ts";
import { logEvent } from "../observability/log.ts";
import { verifiedParticipantHeader } from "./meeting-room-client.ts";
import { protocolVersion, type ServerFrame } from "../protocol/frames.ts";

const participantSchema = z.object({
  tenantId: z.string(),
  meetingId: z.string(),
  identity: z.string(),
  role: z.enum(["host", "cohost", "participant", "guest"]),
  name: z.string().optional(),
});
type ConnectedParticipant = z.infer<typeof participantSchema>;

/**
 * One Durable Object per meeting. Skeleton for the foundation: it accepts verified participants over
 * hibernatable WebSockets, greets them, refuses frames it does not handle yet with an error frame,
 * and closes everyone when the meeting ends. Signaling, roster and chat arrive with the room protocol.
 */
export class MeetingRoom extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      if (url.pathname === "/connect") return this.acceptParticipant(request);
      if (url.pathname === "/end" && request.method === "POST") return await this.end(request);
      return new Response("not found", { status: 404 });
    } catch (error) {
      logEvent("meeting_room_error", { where: "fetch", error: error instanceof Error ? error.message : String(error) });
      return new Response("internal error", { status: 500 });
    }
  }

  private acceptParticipant(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("upgrade required", { status: 426 });
    const participant = participantSchema.parse(JSON.parse(request.headers.get(verifiedParticipantHeader) ?? "null"));
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [participant.identity]);
    server.serializeAttachment(participant);
    send(server, { type: "welcome", protocolVersion, meetingId: participant.meetingId, identity: participant.identity, role: participant.role });
    return new Response(null, { status: 101, webSocket: client });
  }

  private async end(request: Request): Promise<Response> {
    const { reason } = z.object({ reason: z.string().max(64) }).parse(await request.json());
    for (const socket of this.ctx.getWebSockets()) {
      send(socket, { type: "meeting_ended", reason });
      socket.close(4000, reason);
    }
    return Response.json({ closed: true });
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const size = typeof message === "string" ? message.length : message.byteLength;
    send(socket, { type: "error", code: "unsupported_frame", message: `frames are not handled yet (${size} bytes ignored)` });
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    // Reserved codes can't be echoed back; answer with a normal close.
    socket.close(code === 1005 || code === 1006 ? 1000 : code, "closing");
  }

  override async webSocketError(socket: WebSocket, error: unknown): Promise<void> {
    const who = (socket.deserializeAttachment() as ConnectedParticipant | null)?.identity ?? "unknown";
    logEvent("meeting_room_error", { where: "websocket", identity: who, error: String(error) });
  }
}

function send(socket: WebSocket, frame: ServerFrame): void {
  try {
    socket.send(JSON.stringify(frame));
  } catch {
    /* socket already closing */
  }
}
