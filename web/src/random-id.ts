/**
 * Random hex ids for frame ids, chat message ids and session identities. Uses getRandomValues rather than
 * randomUUID because the latter exists only in secure contexts, and a demo opened over a LAN address is not one.
 */
export function randomId(bytes = 16): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (value) => value.toString(16).padStart(2, "0")).join("");
}
