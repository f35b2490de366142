/** Stable codes for misconfigured TURN credential issuing; callers switch on `code`, never on the message. */
export type TurnErrorCode =
  | "invalid_turn_secret"
  | "invalid_turn_ttl"
  | "invalid_turn_user_id"
  | "invalid_turn_urls"
  | "invalid_turn_clock";

export class TurnCredentialsError extends Error {
  override readonly name = "TurnCredentialsError";
  constructor(
    readonly code: TurnErrorCode,
    message: string,
  ) {
    super(message);
  }
}
