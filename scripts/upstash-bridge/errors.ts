/**
 * Failures the HTTP layer turns into a status and Upstash's `{"error": "..."}` body. Messages are fixed texts:
 * nothing from a stack trace or from the token reaches the wire.
 */
export class BridgeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "BridgeHttpError";
  }
}

export const unauthorized = () => new BridgeHttpError(401, "Unauthorized");
export const methodNotAllowed = () => new BridgeHttpError(405, "ERR method not allowed: use POST (or GET for path commands)");
export const bodyTooLarge = (limit: number) => new BridgeHttpError(413, `ERR request body larger than ${limit} bytes`);
export const badRequest = (message: string) => new BridgeHttpError(400, message);

/** The connection to Redis failed (as opposed to Redis answering with an error reply). */
export class RedisUnavailable extends Error {
  constructor(cause: unknown) {
    super("redis unavailable", { cause });
    this.name = "RedisUnavailable";
  }
}
