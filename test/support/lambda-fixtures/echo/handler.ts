import { z } from "zod";
import { isWarmupEvent, warmupAnswer } from "../../../../functions/warmup.ts";

/**
 * The local Lambda runtime's test subject (test/lambda/local-runtime.test.ts): it reports what the runtime gave it,
 * so the test can tell a real Lambda runtime (aws-lambda-rie + aws-lambda-ric) from a function called directly.
 * zod is bundled in on purpose: the bundle is built like a product function's, dependencies included.
 */
const EchoEvent = z.union([
  z.object({ echo: z.unknown(), sleepMs: z.number().int().min(0).max(10_000).optional() }),
  z.object({ fail: z.string() }),
]);

/** The part of the runtime's context object this fixture reads (aws-lambda-ric's InvokeContext). */
interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  getRemainingTimeInMillis(): number;
}

export class EchoFailure extends Error {
  override name = "EchoFailure";
}

export async function handler(event: unknown, context: LambdaContext) {
  if (isWarmupEvent(event)) return warmupAnswer;
  const parsed = EchoEvent.parse(event);
  if ("fail" in parsed) throw new EchoFailure(parsed.fail);
  const startedAt = Date.now();
  if (parsed.sleepMs) await new Promise((resolve) => setTimeout(resolve, parsed.sleepMs));
  return {
    echo: parsed.echo,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    functionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    remainingTimeMs: context.getRemainingTimeInMillis(),
    pid: process.pid,
    startedAt,
    endedAt: Date.now(),
    env: {
      taskRoot: process.env.LAMBDA_TASK_ROOT,
      handler: process.env._HANDLER,
      runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API,
      executionEnv: process.env.AWS_EXECUTION_ENV,
      region: process.env.AWS_REGION,
      marker: process.env.ECHO_MARKER,
    },
    envNames: Object.keys(process.env).sort(),
  };
}
