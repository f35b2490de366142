import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isDatabaseUnavailable } from "../../db/database-errors.ts";
import { ApiKeyError, JoinTokenError } from "../../auth/errors.ts";
import { MeetingRoomRefusal } from "../../meeting-room/shell/meeting-room-client.ts";
import { ApiError, errorCatalog, isErrorCode, problemType, type ErrorCode } from "../errors.ts";
import type { AppEnv } from "../app-env.ts";
import { describeError, logEvent } from "../../observability/log.ts";

/** Renders an ApiError as application/problem+json. The only place errors become responses. */
export function problemResponse(c: Context<AppEnv>, error: ApiError): Response {
  const { title } = errorCatalog[error.code];
  const body = {
    type: problemType(error.code),
    code: error.code,
    title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.issues ? { issues: error.issues } : {}),
    instance: c.get("requestId"),
  };
  const headers = new Headers({ "content-type": "application/problem+json", "cache-control": "no-store" });
  const requestId = c.get("requestId");
  if (requestId) headers.set("x-request-id", requestId);
  if (error.status === 401) headers.set("www-authenticate", 'Bearer realm="edge-meetings"');
  if (error.status === 503) headers.set("retry-after", "5");
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** Maps anything thrown to a typed problem; unknown errors are logged server-side and never leak. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (error instanceof ApiKeyError) return new ApiError(error.code, error.detail);
  if (error instanceof JoinTokenError) return new ApiError(error.code);
  if (error instanceof MeetingRoomRefusal) return fromRoomRefusal(error);
  if (isDatabaseUnavailable(error)) return new ApiError("dependency_unavailable", "the database is unreachable; retry shortly");
  return new ApiError("internal_error");
}

function fromHttpException(error: HTTPException): ApiError {
  // Hono's own validators and body-limit raise HTTPExceptions; give them stable codes.
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: /json/i.test(error.message) ? "malformed_json" : "validation_failed",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
  };
  return new ApiError(byStatus[error.status] ?? "internal_error");
}

/**
 * The meeting room's refusal under the room's own code when it is one of ours (its status is then the catalog's,
 * so a code means one thing); an unknown code, a body off the contract or a room failure is `internal_error`,
 * logged with the room's code and never shown.
 */
export function fromRoomRefusal(error: MeetingRoomRefusal): ApiError {
  const code = error.refusal?.code;
  if (!code || !isErrorCode(code) || code === "internal_error") return new ApiError("internal_error");
  return new ApiError(code, error.refusal?.detail || undefined);
}

export function onError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  if (apiError.code === "internal_error" || apiError.code === "dependency_unavailable") {
    logEvent("request_failed", {
      requestId: c.get("requestId"),
      path: c.req.path,
      error: describeError(error),
    });
  }
  return problemResponse(c, apiError);
}
