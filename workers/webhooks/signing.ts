import { Webhook } from "standardwebhooks";
import type { SigningSecrets } from "./core/dispatch-types.ts";

/** A new `whsec_` secret: 32 random bytes, base64, the form every Standard Webhooks library takes. */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * The Standard Webhooks headers for one attempt. While a rotation overlaps, both secrets sign (the spec's
 * space-separated list), so a receiver still holding the old secret keeps verifying until it switches.
 */
export function signedHeaders(secrets: SigningSecrets, messageId: string, body: string, at: Date): Record<string, string> {
  const active = [secrets.current];
  if (secrets.previous && secrets.previousExpiresAt !== null && secrets.previousExpiresAt > at.getTime()) active.push(secrets.previous);
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": active.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(" "),
  };
}
