/**
 * Stable codes of TURN credential issuing: every one is a misconfiguration (secret, TTL, URLs) or a bad caller
 * input (user id, clock), never a client's fault to retry. Callers switch on `code`, never on the message.
 */
export const turnErrorCodes = [
  "invalid_turn_secret", // TURN_SECRET shorter than the minimum
  "invalid_turn_ttl", // lifetime not an integer within the allowed range
  "invalid_turn_user_id", // empty, too long, or not printable ASCII without ':' (it becomes part of the username)
  "invalid_turn_urls", // none, or one that is not a stun:, stuns:, turn: or turns: URL
  "invalid_turn_clock", // `now` is not a valid date
] as const;
export type TurnErrorCode = (typeof turnErrorCodes)[number];

export class TurnCredentialsError extends Error {
  override readonly name = "TurnCredentialsError";
  constructor(
    readonly code: TurnErrorCode,
    message: string,
  ) {
    super(message);
  }
}
