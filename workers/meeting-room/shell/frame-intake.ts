import type { ClientFrame } from "../../../protocol/client-frames.ts";
import { decodeClientFrame } from "../../../protocol/decode-frame.ts";
import { take } from "../core/frame-rate-limit.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";
import type { IceServerIssuer } from "./ice-servers.ts";
import type { SocketMemory } from "./room-sockets.ts";

export type Intake = { ref: string | undefined } & ({ kind: "refused"; event: RoomEvent } | { kind: "frame"; frame: ClientFrame });

/** Decodes a socket's frame and charges it to the socket's rate limit: the frame to act on, or the refusal. */
export function intake(data: string | ArrayBuffer, memory: SocketMemory, now: number): Intake {
  const decoded = decodeClientFrame(data);
  const limited = take(memory.rate, decoded.ok ? decoded.frame.type : "ping", now); // undecodable frames are charged as control
  memory.rate = limited.state;
  const { identity } = memory.attachment;
  const ref = decoded.ok ? decoded.frame.id : decoded.ref;
  if (!limited.allowed) {
    return {
      kind: "refused",
      ref,
      event: { kind: "reject", identity, code: "rate_limited", message: `slow down: retry in ${limited.retryAfterMs} ms`, ref },
    };
  }
  if (!decoded.ok) return { kind: "refused", ref, event: { kind: "reject", identity, code: decoded.code, message: decoded.message, ref } };
  return { kind: "frame", ref, frame: decoded.frame };
}

/** The room event for an accepted frame: a hello seats its sender with their ICE servers, an admit brings the admitted one's. */
export async function frameEvent(
  frame: ClientFrame,
  memory: SocketMemory,
  state: RoomState | undefined,
  iceServers: IceServerIssuer,
): Promise<RoomEvent> {
  const { claims } = memory.attachment;
  if (frame.type === "hello") {
    const participant = {
      identity: claims.identity,
      name: claims.name,
      role: claims.role,
      tokenId: claims.tokenId,
      tokenExpiresAt: new Date(claims.expiresAt),
      mintedBy: claims.mintedBy,
    };
    return { kind: "hello", participant, frame, iceServers: await iceServers(claims.tokenId) };
  }
  if (frame.type === "admit")
    return { kind: "frame", identity: claims.identity, frame, iceServers: await iceServers(lobbyTokenOf(state, frame.target)) };
  return { kind: "frame", identity: claims.identity, frame };
}

/** TURN credentials are per user: an admitted lobby entry gets them for the token it waited with. */
function lobbyTokenOf(state: RoomState | undefined, identity: string): string {
  const entry = state?.lobby.queue.find((e) => e.identity === identity);
  return entry?.tokens.at(-1)?.id ?? identity;
}
