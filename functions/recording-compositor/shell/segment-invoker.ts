import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { ComposeSegmentEvent } from "../../../protocol/recording-composition.ts";
import type { SegmentResult } from "../result.ts";

/**
 * Sends a segment to its own invocation (Invoke, RequestResponse) and waits for it. In AWS one client on the
 * regional endpoint: Lambda places each concurrent invocation in its own execution environment. Locally the
 * endpoints are the function's emulators, one environment each: an invocation takes an idle one, and an endpoint
 * that just failed goes to the back of the line, so a retry lands on another environment, as it would in Lambda.
 */
export class SegmentInvoker {
  private readonly idle: LambdaClient[];
  private readonly shared: boolean;
  private readonly waiting: ((client: LambdaClient) => void)[] = [];

  constructor(
    private readonly functionName: string,
    region: string,
    endpoints: readonly string[],
  ) {
    const client = (endpoint?: string) =>
      new LambdaClient({
        region,
        endpoint,
        // The compositor retries a segment itself, counting attempts; an SDK retry would hide one. A segment runs
        // for minutes: no socket timeout shorter than the function's own.
        maxAttempts: 1,
        requestHandler: { requestTimeout: 0, connectionTimeout: 5_000 },
      });
    this.idle = endpoints.length ? endpoints.map((e) => client(e)) : [client()];
    this.shared = endpoints.length === 0;
  }

  async invoke(event: ComposeSegmentEvent): Promise<SegmentResult> {
    const client = await this.take();
    let failed = false;
    try {
      const output = await client.send(
        new InvokeCommand({ FunctionName: this.functionName, InvocationType: "RequestResponse", Payload: JSON.stringify(event) }),
      );
      const text = new TextDecoder().decode(output.Payload ?? new Uint8Array());
      if (output.FunctionError) {
        failed = true;
        throw new Error(`segment ${event.index}: ${describeError(text)}`);
      }
      const result = JSON.parse(text) as SegmentResult | { ok: false; error: { message: string } };
      if (!result.ok) {
        failed = true;
        throw new Error(`segment ${event.index}: ${result.error.message}`);
      }
      return result;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      this.give(client, failed);
    }
  }

  private take(): Promise<LambdaClient> {
    if (this.shared) return Promise.resolve(this.idle[0]!);
    const client = this.idle.shift();
    if (client) return Promise.resolve(client);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private give(client: LambdaClient, failed: boolean): void {
    if (this.shared) return;
    if (failed) this.idle.push(client);
    else this.idle.unshift(client);
    const waiter = this.waiting.shift();
    if (waiter) waiter(this.idle.shift()!);
  }

  destroy(): void {
    for (const client of this.idle) client.destroy();
  }
}

/** The function error's type and message, never its trace. */
function describeError(payload: string): string {
  try {
    const error = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    return `${error.errorType ?? "Error"}: ${error.errorMessage ?? payload.slice(0, 500)}`;
  } catch {
    return payload.slice(0, 500) || "the invocation failed";
  }
}
