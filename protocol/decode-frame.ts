import { clientFrameSchema, clientFrameTypes, maxFrameBytes, type ClientFrame } from "./client-frames.ts";
import type { RoomErrorCode } from "./room-errors.ts";
import { utf8Length } from "./utf8-length.ts";

const maxErrorMessageLength = 200;

export type DecodedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: RoomErrorCode; message: string; ref?: string };

/**
 * Turns raw WebSocket data into a typed frame or a typed refusal. Never throws: the DO answers every
 * refusal with an `error` frame and stays up. Pure.
 */
export function decodeClientFrame(data: string | ArrayBuffer): DecodedFrame {
  // UTF-16 length bounds the UTF-8 size from both sides, so most frames are sized without counting.
  const size =
    typeof data !== "string"
      ? data.byteLength
      : data.length > maxFrameBytes || data.length * 3 <= maxFrameBytes
        ? data.length
        : utf8Length(data);
  if (size > maxFrameBytes) return { ok: false, code: "frame_too_large", message: `frames are limited to ${maxFrameBytes} bytes` };
  if (typeof data !== "string") return { ok: false, code: "malformed_frame", message: "frames are JSON text, not binary" };

  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, code: "malformed_frame", message: "frame is not valid JSON" };
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, code: "malformed_frame", message: "frame must be a JSON object" };
  }
  const candidate = raw as Record<string, unknown>;
  const ref = typeof candidate.id === "string" && candidate.id.length <= 64 ? candidate.id : undefined;
  if (!clientFrameTypes.includes(candidate.type as ClientFrame["type"])) {
    return { ok: false, code: "unknown_frame_type", message: `unknown frame type ${describe(candidate.type)}`, ...(ref ? { ref } : {}) };
  }
  const parsed = clientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "frame";
    // zod quotes unrecognized keys verbatim: bound the echo so a bad frame can't inflate what the room stores and sends.
    const message = `${where}: ${issue?.message ?? "invalid"}`;
    return {
      ok: false,
      code: "invalid_frame",
      message: message.length > maxErrorMessageLength ? `${message.slice(0, maxErrorMessageLength)}…` : message,
      ...(ref ? { ref } : {}),
    };
  }
  return { ok: true, frame: parsed.data };
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  return typeof value;
}
