import { clientFrameSchema, type ClientFrame } from "../../protocol/client-frames.ts";

/** What peers exchange through `signal` frames: an SDP offer/answer or one ICE candidate. */
export type SignalPayload = Extract<ClientFrame, { type: "signal" }>["payload"];

/**
 * The room relays `signal.payload` as opaque data, so the page validates it against the same schema the
 * room applied to the sender's frame (wrapped in a throwaway client frame, since the protocol exports the
 * frame union rather than the payload on its own).
 */
export function parseSignalPayload(payload: unknown): SignalPayload | null {
  const parsed = clientFrameSchema.safeParse({ id: "relayed", type: "signal", to: "self", payload });
  return parsed.success && parsed.data.type === "signal" ? parsed.data.payload : null;
}
