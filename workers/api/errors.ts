import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Stable error codes users can switch on. The HTTP status is fixed per code so a code means one thing.
 * Rendered as RFC 9457 problem details with `type` = problemType(code).
 */
export const errorCatalog = {
  unauthorized: { status: 401, title: "Authentication required" },
  invalid_api_key: { status: 401, title: "Invalid API key" },
  invalid_join_token: { status: 401, title: "Invalid join token" },
  join_token_expired: { status: 401, title: "Join token expired" },
  forbidden: { status: 403, title: "Forbidden" },
  csrf_token_invalid: { status: 403, title: "Missing or wrong CSRF token" },
  sign_in_failed: { status: 401, title: "Sign-in failed" },
  sign_in_refused: { status: 403, title: "Sign-in refused" },
  identity_provider_not_configured: { status: 404, title: "The tenant has no identity provider" },
  identity_provider_refused: { status: 422, title: "The identity provider could not be used" },
  invalid_webhook_signature: { status: 401, title: "Webhook signature invalid" },
  webhook_stale: { status: 400, title: "Webhook event outside the accepted time window" },
  webhook_replayed: { status: 409, title: "Webhook event already processed" },
  not_found: { status: 404, title: "Not found" },
  route_not_found: { status: 404, title: "No such route" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  meeting_ended: { status: 409, title: "Meeting has ended" },
  meeting_not_scheduled: { status: 409, title: "The meeting has no scheduled start" },
  idempotency_conflict: { status: 409, title: "Idempotency key reused with a different request" },
  usage_period_open: { status: 409, title: "Billing period has not ended" },
  webhook_target_refused: { status: 422, title: "Webhook URL refused" },
  webhook_endpoint_conflict: { status: 409, title: "Webhook endpoint conflicts with an existing one" },
  webhook_endpoint_disabled: { status: 409, title: "Webhook endpoint is disabled" },
  meeting_not_live: { status: 409, title: "Nobody is in the meeting" },
  identity_in_use: { status: 409, title: "Another person's token holds this identity in the meeting" },
  recording_in_progress: { status: 409, title: "The meeting is already being recorded" },
  recording_not_active: { status: 409, title: "The recording is not running" },
  recording_not_ready: { status: 409, title: "The recording is not ready" },
  validation_failed: { status: 400, title: "Request validation failed" },
  malformed_json: { status: 400, title: "Malformed JSON body" },
  payload_too_large: { status: 413, title: "Request body too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  upgrade_required: { status: 426, title: "WebSocket upgrade required" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal error" },
  dependency_unavailable: { status: 503, title: "A dependency is unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/** Whether a code from elsewhere (the meeting room's refusal) is one of ours; own keys only, so "toString" is not. */
export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorCatalog, code);

export const problemType = (code: ErrorCode) => `urn:edge-meetings:problem:${code}`;

export interface ValidationIssue {
  path: string;
  message: string;
}

/** Thrown anywhere in a request; turned into a problem response in exactly one place (problem.ts). */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly issues?: ValidationIssue[],
  ) {
    super(detail ?? errorCatalog[code].title);
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return errorCatalog[this.code].status;
  }
}
