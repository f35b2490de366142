import { AwsClient } from "aws4fetch";
import type { Config } from "../env.ts";

export type LambdaFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * `fetch` for Lambda's Invoke API: signed with SigV4 under the invoker's key (an IAM user allowed only to invoke
 * our functions; `ANALYTICS_INGEST_*`, shared by every function the Worker invokes) when one is configured.
 * Locally the URL is the Runtime Interface Emulator's, which checks no signature.
 */
export function lambdaFetch(config: Config): LambdaFetch {
  const accessKeyId = config.ANALYTICS_INGEST_ACCESS_KEY_ID;
  const secretAccessKey = config.ANALYTICS_INGEST_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return (url, init) => fetch(url, init);
  const signer = new AwsClient({ accessKeyId, secretAccessKey, service: "lambda", region: config.ANALYTICS_INGEST_REGION, retries: 0 });
  return (url, init) => signer.fetch(url, init);
}
