/**
 * Stable codes of the auth area: what a refused credential is called in the API's problem responses. Users
 * switch on these; the API's error catalog (`workers/api/errors.ts`) gives each its HTTP status.
 */

/** Tenant API keys (`Authorization: Bearer emk_…`) on every tenant-scoped route. */
export const apiKeyErrorCodes = [
  "unauthorized", // no Bearer credential at all
  "invalid_api_key", // malformed, unknown, revoked or expired key, or a suspended tenant
] as const;
export type ApiKeyErrorCode = (typeof apiKeyErrorCodes)[number];

/** Join tokens (`?token=` on the meeting-room WebSocket). */
export const joinTokenErrorCodes = [
  "invalid_join_token", // bad signature, algorithm, issuer, audience or claims, or another meeting's token
  "join_token_expired",
] as const;
export type JoinTokenErrorCode = (typeof joinTokenErrorCodes)[number];

export const authErrorCodes = [...apiKeyErrorCodes, ...joinTokenErrorCodes] as const;
export type AuthErrorCode = (typeof authErrorCodes)[number];

/** A refused API key; `detail` is safe to show the caller. */
export class ApiKeyError extends Error {
  override readonly name = "ApiKeyError";
  constructor(
    readonly code: ApiKeyErrorCode,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A refused join token. Which check failed is not told (beyond expiry), so a forger learns nothing. */
export class JoinTokenError extends Error {
  override readonly name = "JoinTokenError";
  constructor(readonly code: JoinTokenErrorCode) {
    super(`join token refused: ${code}`);
  }
}
