import { AwsClient } from "aws4fetch";
import type { ComposeRecordingEvent } from "../../protocol/recording-composition.ts";
import type { Config } from "../env.ts";

export interface ComposeInvoker {
  /** Queues the compositing of a stopped recording (Lambda's asynchronous invocation); throws when not queued. */
  compose(event: ComposeRecordingEvent): Promise<void>;
}

const invokeTimeoutMs = 10_000;

/**
 * Invokes the compositing Lambda asynchronously (`X-Amz-Invocation-Type: Event`): Lambda queues the event,
 * answers 202 and retries a failed run itself. Signed with SigV4 when the invoker's credentials are configured
 * (the same invoker user as the analytics function's); locally the URL is the emulator's, which answers Event
 * invocations the same way (scripts/patches/aws-lambda-rie-invoke.patch).
 */
export function composeInvoker(config: Config): ComposeInvoker | null {
  const url = config.RECORDING_COMPOSE_URL;
  if (!url) return null;
  const accessKeyId = config.ANALYTICS_INGEST_ACCESS_KEY_ID;
  const secretAccessKey = config.ANALYTICS_INGEST_SECRET_ACCESS_KEY;
  const signer =
    accessKeyId && secretAccessKey
      ? new AwsClient({ accessKeyId, secretAccessKey, service: "lambda", region: config.ANALYTICS_INGEST_REGION, retries: 0 })
      : null;
  return {
    async compose(event) {
      const init: RequestInit = {
        method: "POST",
        headers: { "content-type": "application/json", "x-amz-invocation-type": "Event" },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(invokeTimeoutMs),
      };
      const response = signer ? await signer.fetch(url, init) : await fetch(url, init);
      await response.body?.cancel();
      if (response.status !== 202) throw new Error(`compose invocation answered ${response.status}`);
    },
  };
}
