/** A random, URL-safe token (base64url, no padding) of `bytes` random bytes: session ids, CSRF tokens, feed URLs. */
export function randomToken(bytes = 32): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}
