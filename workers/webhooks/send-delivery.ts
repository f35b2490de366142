import type { SendResult } from "./core/dispatch-run.ts";
import type { DispatchEndpoint, QueuedDelivery } from "./core/dispatch-types.ts";
import { signedHeaders } from "./signing.ts";
import { checkTargetUrl, type TargetPolicy } from "./core/ssrf-guard.ts";
import { parseTargetUrl } from "./target-policy.ts";

/** The receiver has this long to answer (headers and the first bytes we keep), as Standard Webhooks senders do. */
export const responseTimeoutMs = 15_000;
/** How much of a response the delivery log keeps. */
export const snippetBytes = 512;

/**
 * POSTs one delivery, signed for this attempt. Redirects are never followed (`manual`: a 3xx comes back as the
 * answer and counts as a failure). The URL is checked against the target policy again at send time, so an
 * endpoint stored before a policy change can't reach inside.
 */
export async function sendDelivery(
  endpoint: DispatchEndpoint,
  delivery: QueuedDelivery,
  at: number,
  policy: TargetPolicy,
  fetcher: typeof fetch = fetch,
): Promise<SendResult> {
  if (!checkTargetUrl(parseTargetUrl(endpoint.url), policy).ok) {
    return {
      answer: { statusCode: null, failure: "connection_failed", retryAfter: null },
      latencyMs: 0,
      responseSnippet: "refused target",
    };
  }
  const headers = {
    ...signedHeaders(endpoint.secrets, delivery.eventId, delivery.body, new Date(at)),
    "content-type": "application/json",
    "user-agent": "edge-meetings-webhooks/1",
  };
  const signal = AbortSignal.timeout(responseTimeoutMs);
  try {
    const response = await fetcher(endpoint.url, { method: "POST", headers, body: delivery.body, redirect: "manual", signal });
    const responseSnippet = await readSnippet(response).catch(() => null);
    return {
      answer: { statusCode: response.status, failure: null, retryAfter: response.headers.get("retry-after") },
      latencyMs: Date.now() - at,
      responseSnippet,
    };
  } catch (error) {
    const timedOut = signal.aborted || (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"));
    return {
      answer: { statusCode: null, failure: timedOut ? "timeout" : "connection_failed", retryAfter: null },
      latencyMs: Date.now() - at,
      responseSnippet: null,
    };
  }
}

/** The first bytes of the body as text Postgres can store (no NUL; invalid UTF-8 becomes U+FFFD). */
async function readSnippet(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < snippetBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(length, snippetBytes));
  let offset = 0;
  for (const chunk of chunks) {
    const take = chunk.subarray(0, bytes.length - offset);
    bytes.set(take, offset);
    offset += take.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes).replaceAll("\u0000", "\uFFFD");
}
