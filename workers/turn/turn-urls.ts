import { TurnCredentialsError } from "./errors.ts";

// RFC 7065 turn/turns and RFC 7064 stun/stuns URIs; only TURN URIs take ?transport=.
// Host: a DNS name or IPv4 literal, or a bracketed IPv6 literal.
const host = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])`;
const port = String.raw`(?::(\d{1,5}))?`;
const turnUrl = new RegExp(String.raw`^turns?:${host}${port}(?:\?transport=(?:udp|tcp))?$`);
const stunUrl = new RegExp(String.raw`^stuns?:${host}${port}$`);

export function isIceServerUrl(url: string): boolean {
  const match = turnUrl.exec(url) ?? stunUrl.exec(url);
  if (!match) return false;
  return match[1] === undefined || (Number(match[1]) >= 1 && Number(match[1]) <= 65_535);
}

/** Throws unless `urls` is a non-empty list of STUN/TURN URIs; a bad entry would surface only as a silent ICE failure. */
export function assertIceServerUrls(urls: readonly string[]): void {
  if (urls.length === 0) throw new TurnCredentialsError("invalid_turn_urls", "at least one TURN/STUN URL is required");
  const bad = urls.find((url) => !isIceServerUrl(url));
  if (bad !== undefined) throw new TurnCredentialsError("invalid_turn_urls", `not a STUN/TURN URL: ${JSON.stringify(bad)}`);
}

/**
 * Parses the TURN_URLS binding, e.g. "turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp".
 * Whitespace around entries and empty entries (a trailing comma) are tolerated; anything that is not a
 * STUN/TURN URI is a configuration error, reported at startup rather than at the first call.
 */
export function parseTurnUrls(value: string | undefined): string[] {
  const urls = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  assertIceServerUrls(urls);
  return urls;
}
