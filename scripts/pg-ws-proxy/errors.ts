/**
 * Why the proxy closed a tunnel. The code travels as the WebSocket close reason, so a client (or a test) can
 * switch on it; the close code follows RFC 6455 / the IANA registry.
 */
export type TunnelCloseCode =
  | "missing_address"
  | "malformed_address"
  | "target_not_allowed"
  | "origin_not_allowed"
  | "binary_only"
  | "target_unreachable";

export const wsCloseCodes: Record<TunnelCloseCode, number> = {
  // 1008 policy violation: the request itself is unacceptable, retrying will not help.
  missing_address: 1008,
  malformed_address: 1008,
  target_not_allowed: 1008,
  origin_not_allowed: 1008,
  // 1003 unsupported data: the Postgres wire protocol only travels in binary messages.
  binary_only: 1003,
  // 1014 bad gateway: the upstream Postgres refused or dropped the TCP connection.
  target_unreachable: 1014,
};

/** A tunnel that ended normally (client Terminate, or either side closed). */
export const wsNormalClosure = 1000;
