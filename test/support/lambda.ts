import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { s3Region } from "../../scripts/services/s3.ts";
import { type LocalFunction, invocationUrl } from "../../scripts/services/lambda.ts";

/** One invocation as the caller saw it. */
export interface Invocation<T> {
  /** The function's answer (or its error object), parsed from JSON; the raw text when it is not JSON. */
  payload: T;
  /** Lambda's `X-Amz-Function-Error` ("Unhandled"): the handler threw or timed out. */
  functionError: string | undefined;
  statusCode: number | undefined;
  /** Wall time of the Invoke call, as the caller measures it. */
  ms: number;
}

/**
 * Invokes a local function through the AWS SDK's InvokeCommand, the production Invoke API, against one of its
 * emulators. Each emulator takes one invocation at a time (one Lambda execution environment), so concurrent
 * invocations pick different emulators by index.
 */
export class LocalLambda {
  private readonly clients: LambdaClient[];

  constructor(readonly fn: LocalFunction) {
    this.clients = Array.from(
      { length: fn.emulators },
      (_, i) =>
        new LambdaClient({
          endpoint: new URL(invocationUrl(fn, i)).origin,
          region: s3Region,
          // The emulator checks no signature; the SDK signs anyway, as it does for AWS.
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          // One call is one invocation: no SDK retry hides a failure.
          maxAttempts: 1,
        }),
    );
  }

  get emulators(): number {
    return this.clients.length;
  }

  /**
   * `invocationType: "Event"` invokes asynchronously, as the API invokes the compositor: the emulator answers 202
   * with no payload at once and runs the invocation in the background (scripts/patches/aws-lambda-rie-invoke.patch).
   */
  async invoke<T = unknown>(
    event: unknown,
    options: { emulator?: number; invocationType?: "RequestResponse" | "Event" } = {},
  ): Promise<Invocation<T>> {
    const index = options.emulator ?? 0;
    const client = this.clients[index];
    if (!client) throw new Error(`${this.fn.settings.name} has ${this.clients.length} emulators, not ${index + 1}`);
    const started = performance.now();
    // The emulator serves every function under the name "function".
    const output = await client.send(
      new InvokeCommand({ FunctionName: "function", Payload: JSON.stringify(event), InvocationType: options.invocationType }),
    );
    const ms = performance.now() - started;
    const text = new TextDecoder().decode(output.Payload ?? new Uint8Array());
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = text;
    }
    return { payload: payload as T, functionError: output.FunctionError, statusCode: output.StatusCode, ms };
  }

  destroy(): void {
    for (const client of this.clients) client.destroy();
  }
}
