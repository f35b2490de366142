import { ServerError } from "livekit-server-sdk";
import { MediaFleetError, type MediaFleetErrorCode, type NotFoundCode } from "../errors.ts";

/**
 * Turns what `livekit-server-sdk` throws into a `MediaFleetError` (codes in `../errors.ts`): a `ServerError` (the
 * node answered with a Twirp error) by status and code, anything `fetch` throws (refused, DNS, TLS, timeout) as
 * `node_unreachable`.
 */

/** Network failures as Node's fetch (undici) reports them, in `error.cause.code`. */
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** A refused request echoes the bearer token it was sent; never carry a JWT into our messages or logs. */
const redact = (text: string) => text.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "<token>");

function notFoundCode(message: string, fallback: NotFoundCode): NotFoundCode {
  // LiveKit's wording: "requested room does not exist", "participant does not exist", "track is not found".
  if (/\broom\b/i.test(message)) return "room_not_found";
  if (/\bparticipant\b/i.test(message)) return "participant_not_found";
  if (/\btrack\b/i.test(message)) return "track_not_found";
  return fallback;
}

function serverErrorCode(error: ServerError, notFound: NotFoundCode): MediaFleetErrorCode {
  if (error.status === 401 || error.status === 403 || error.code === "unauthenticated" || error.code === "permission_denied") {
    return "unauthorized";
  }
  if (error.status === 404 || error.code === "not_found") return notFoundCode(error.message, notFound);
  if (error.status >= 400 && error.status < 500) return "invalid_request";
  return "sfu_error";
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // AbortSignal.timeout() (the SDK's request timeout) rejects with a TimeoutError DOMException.
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string" && networkCodes.has(cause.code)) return true;
  return error instanceof TypeError && error.message === "fetch failed";
}

export function toMediaFleetError(error: unknown, operation: string, notFound: NotFoundCode = "room_not_found"): MediaFleetError {
  if (error instanceof MediaFleetError) return error;
  if (error instanceof ServerError) {
    const code = serverErrorCode(error, notFound);
    // No `cause`: the ServerError holds the raw server message, which may echo our token.
    return new MediaFleetError(
      code,
      `livekit ${operation}: ${code} (${error.status} ${error.code ?? error.name}: ${redact(error.message)})`,
    );
  }
  if (isNetworkError(error)) {
    return new MediaFleetError("node_unreachable", `livekit ${operation}: node unreachable (${(error as Error).message})`, {
      cause: error,
    });
  }
  return new MediaFleetError("sfu_error", `livekit ${operation}: unexpected failure`, { cause: error });
}

/** Runs one room-service call and rethrows any failure as a `MediaFleetError`. */
export async function livekitCall<T>(operation: string, call: () => Promise<T>, notFound?: NotFoundCode): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toMediaFleetError(error, operation, notFound);
  }
}
