import { DurableObject } from "cloudflare:workers";

/**
 * The runtime's own fan-out ceiling, for bench/room-fanout.ts only (never part of the production Worker): one
 * Durable Object that accepts hibernatable WebSockets and sends every message it receives, as is, to every
 * socket it holds. No decoding, no state, no storage: what workerd itself costs per delivery.
 */
export class BroadcastRoom extends DurableObject {
  override async fetch(): Promise<Response> {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.send('{"type":"welcome"}');
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(_socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(message);
      } catch {
        /* closing socket */
      }
    }
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    try {
      socket.close(code === 1005 ? 1000 : code, "bye");
    } catch {
      /* already closed */
    }
  }
}

interface Env {
  BROADCAST_ROOM: DurableObjectNamespace;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const room = new URL(request.url).searchParams.get("room") ?? "bench";
    return env.BROADCAST_ROOM.get(env.BROADCAST_ROOM.idFromName(room)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
