import type { ClientFrameType } from "../../../protocol/client-frames.ts";

/**
 * Per-connection token buckets, one per frame class, so a chat flood can't starve ICE candidates and a
 * burst of signaling can't block a host's `mute`. Pure: the caller passes the time and keeps the state
 * (the DO keeps it in memory per socket: a room only hibernates when idle, and idle buckets are full anyway).
 */

export type FrameClass = "chat" | "signaling" | "control" | "telemetry";

export interface BucketLimits {
  /** Burst: the most frames allowed back to back after a quiet spell. */
  capacity: number;
  /** Sustained rate the bucket refills at. */
  refillPerSecond: number;
}

export type FrameRateLimits = Record<FrameClass, BucketLimits>;

export const defaultFrameRateLimits: FrameRateLimits = {
  chat: { capacity: 5, refillPerSecond: 2 },
  // ICE gathering emits dozens of candidates at once; renegotiation repeats it.
  signaling: { capacity: 200, refillPerSecond: 100 },
  control: { capacity: 20, refillPerSecond: 10 },
  // Quality samples come every 5 s; one a second is the most a client may send. A join sends its timing and
  // outcome events with its first sample, hence the burst.
  telemetry: { capacity: 4, refillPerSecond: 1 },
};

/**
 * Per class: [milliTokens, atMs]. Tokens are kept in thousandths so that with integer milliseconds and
 * integer rates every refill is an exact integer and "wait retryAfterMs" is always enough. A missing
 * class means a full bucket.
 */
export type FrameRateState = Partial<Record<FrameClass, [milliTokens: number, atMs: number]>>;

export const initialFrameRateState: FrameRateState = {};

export type TakeResult = { allowed: boolean; state: FrameRateState; retryAfterMs: number; frameClass: FrameClass };

export function classifyFrame(type: ClientFrameType): FrameClass {
  switch (type) {
    case "chat_send":
    case "chat_edit":
    case "chat_delete":
    case "chat_react":
    case "attachment_upload":
    case "attachment_download":
      return "chat";
    case "signal":
    case "e2ee_key_package":
    case "e2ee_publish_key":
      return "signaling";
    case "quality_sample":
    case "quality_event":
      return "telemetry";
    case "hello":
    case "ping":
    case "media_trouble":
    case "presence":
    case "chat_history":
    case "mute":
    case "mute_all":
    case "remove":
    case "lock":
    case "end_meeting":
    case "set_role":
    case "spotlight":
    case "admit":
    case "deny":
    case "recording":
    case "recording_consent":
    case "recording_exclude":
      return "control";
    default:
      return type satisfies never;
  }
}

/** Spends one token of the frame's class, or says how long until one is available. Never mutates `state`. */
export function take(
  state: FrameRateState,
  frameType: ClientFrameType,
  nowMs: number,
  limits: FrameRateLimits = defaultFrameRateLimits,
): TakeResult {
  const frameClass = classifyFrame(frameType);
  const { capacity, refillPerSecond } = limits[frameClass];
  const full = capacity * 1000;
  const [heldMilli, heldAt] = state[frameClass] ?? [full, nowMs];
  // A clock that steps back refills nothing, and the bucket keeps its later time so it can't refill twice.
  const at = Math.max(heldAt, nowMs);
  const milli = Math.min(full, heldMilli + (at - heldAt) * refillPerSecond);
  if (milli >= 1000) {
    return { allowed: true, state: { ...state, [frameClass]: [milli - 1000, at] }, retryAfterMs: 0, frameClass };
  }
  const retryAfterMs = Math.ceil((1000 - milli) / refillPerSecond) + (at - nowMs);
  return { allowed: false, state: { ...state, [frameClass]: [milli, at] }, retryAfterMs, frameClass };
}

/** Defaults with overrides, checked once at startup rather than on every frame. */
export function defineFrameRateLimits(overrides: Partial<Record<FrameClass, Partial<BucketLimits>>> = {}): FrameRateLimits {
  const limits = {
    chat: { ...defaultFrameRateLimits.chat, ...overrides.chat },
    signaling: { ...defaultFrameRateLimits.signaling, ...overrides.signaling },
    control: { ...defaultFrameRateLimits.control, ...overrides.control },
    telemetry: { ...defaultFrameRateLimits.telemetry, ...overrides.telemetry },
  };
  for (const [frameClass, { capacity, refillPerSecond }] of Object.entries(limits)) {
    // capacity < 1 would refuse every frame of the class forever.
    if (!Number.isFinite(capacity) || capacity < 1) throw new RangeError(`${frameClass}.capacity must be at least 1`);
    if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) throw new RangeError(`${frameClass}.refillPerSecond must be positive`);
  }
  return limits;
}
