import type { ComposeRecordingEvent } from "../../protocol/recording-composition.ts";
import type { Config } from "../env.ts";
import { lambdaFetch } from "../aws/lambda-fetch.ts";

export interface ComposeInvoker {
  /** Queues the compositing of a stopped recording (Lambda's asynchronous invocation); throws when not queued. */
  compose(event: ComposeRecordingEvent): Promise<void>;
}

const invokeTimeoutMs = 10_000;

/**
 * Invokes the compositing Lambda asynchronously (`X-Amz-Invocation-Type: Event`): Lambda queues the event,
 * answers 202 and retries a failed run itself (signed as `lambdaFetch` says). Locally the URL is the emulator's,
 * which answers Event invocations the same way (scripts/patches/aws-lambda-rie-invoke.patch).
 */
export function composeInvoker(config: Config): ComposeInvoker | null {
  const url = config.RECORDING_COMPOSE_URL;
  if (!url) return null;
  const invoke = lambdaFetch(config);
  return {
    async compose(event) {
      const init: RequestInit = {
        method: "POST",
        headers: { "content-type": "application/json", "x-amz-invocation-type": "Event" },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(invokeTimeoutMs),
      };
      const response = await invoke(url, init);
      await response.body?.cancel();
      if (response.status !== 202) throw new Error(`compose invocation answered ${response.status}`);
    },
  };
}
