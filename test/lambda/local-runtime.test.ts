import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { dataDir, repoRoot } from "../../scripts/lib/paths.ts";
import { type LocalFunction, localLambdaService } from "../../scripts/services/lambda.ts";
import { LocalLambda } from "../support/lambda.ts";

// The local Lambda runtime itself (scripts/services/lambda.ts), driven through the production Invoke API: the echo
// fixture runs under the same bundler, emulator and runtime client as the product's functions.
const echo: LocalFunction = {
  settings: {
    resource: "TestEcho",
    name: "test-echo",
    source: "test/support/lambda-fixtures/echo/handler.ts",
    memoryMb: 256,
    timeoutSeconds: 5,
  },
  emulators: 2,
  invokePort: ports.lambdaTestEcho,
  runtimeApiPort: ports.lambdaTestEchoRuntimeApi,
  env: () => ({ ECHO_MARKER: "from the function's own environment" }),
};
const service = localLambdaService("lambda-test-echo", [echo]);

interface Echoed {
  echo: unknown;
  requestId: string;
  functionName: string;
  functionArn: string;
  memoryLimitInMB: string;
  remainingTimeMs: number;
  pid: number;
  startedAt: number;
  endedAt: number;
  env: Record<string, string | undefined>;
  envNames: string[];
}

let lambda: LocalLambda;

beforeAll(async () => {
  await service.up(await loadOrCreateSecrets());
  lambda = new LocalLambda(echo);
});

afterAll(async () => {
  lambda?.destroy();
  await service.down();
});

describe("local Lambda runtime (aws-lambda-rie + aws-lambda-ric)", () => {
  it("runs the bundled handler in the Lambda runtime: request ids, function name, memory and deadline come from it", async () => {
    const first = await lambda.invoke<Echoed>({ echo: { hello: "lambda" } });
    const second = await lambda.invoke<Echoed>({ echo: 2 });

    expect(first).toMatchObject({ statusCode: 200, functionError: undefined });
    const { payload } = first;
    expect(payload.echo).toEqual({ hello: "lambda" });
    expect(payload.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.payload.requestId).not.toBe(payload.requestId);
    expect(payload.functionName).toBe("test-echo");
    expect(payload.functionArn).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:test-echo$/);
    expect(payload.memoryLimitInMB).toBe("256");
    expect(payload.remainingTimeMs).toBeGreaterThan(4000);
    expect(payload.remainingTimeMs).toBeLessThanOrEqual(5000);
    expect(payload.env).toEqual({
      taskRoot: path.join(dataDir, "functions", "test-echo"),
      handler: "index.handler",
      runtimeApi: `127.0.0.1:${ports.lambdaTestEchoRuntimeApi}`,
      executionEnv: "AWS_Lambda_nodejs24.x",
      region: "us-east-1",
      marker: "from the function's own environment",
    });
    // Nothing of the process that started the emulator leaks into the function (vitest sets VITEST here).
    expect(process.env.VITEST).toBeDefined();
    expect(payload.envNames.filter((name) => name.startsWith("VITEST") || name === "npm_lifecycle_event")).toEqual([]);
    // Warm: the same runtime process answered both.
    expect(second.payload.pid).toBe(payload.pid);
  });

  it("a handler that throws comes back as a function error (X-Amz-Function-Error), and the runtime keeps serving", async () => {
    const before = await lambda.invoke<Echoed>({ echo: "before" });
    const failed = await lambda.invoke<{ errorType: string; errorMessage: string }>({ fail: "bad batch" });
    const refused = await lambda.invoke<{ errorType: string }>({ neither: "echo nor fail" });
    const after = await lambda.invoke<Echoed>({ echo: "after" });

    expect(failed).toMatchObject({ statusCode: 200, functionError: "Unhandled" });
    expect(failed.payload).toMatchObject({ errorType: "EchoFailure", errorMessage: "bad batch" });
    expect(refused).toMatchObject({ functionError: "Unhandled", payload: { errorType: "ZodError" } });
    expect(after).toMatchObject({ functionError: undefined, payload: { echo: "after", pid: before.payload.pid } });
  });

  it("two emulators take two invocations at the same time", async () => {
    const [a, b] = await Promise.all([
      lambda.invoke<Echoed>({ echo: "a", sleepMs: 400 }, { emulator: 0 }),
      lambda.invoke<Echoed>({ echo: "b", sleepMs: 400 }, { emulator: 1 }),
    ]);

    expect([a.functionError, b.functionError]).toEqual([undefined, undefined]);
    expect(a.payload.pid).not.toBe(b.payload.pid);
    // Their handlers ran in overlapping windows, not one after the other.
    expect(a.payload.startedAt).toBeLessThan(b.payload.endedAt);
    expect(b.payload.startedAt).toBeLessThan(a.payload.endedAt);
  });

  it("an invocation sent to a busy emulator waits for the running one (one execution environment, one at a time)", async () => {
    const [a, b] = await Promise.all([
      lambda.invoke<Echoed>({ echo: "a", sleepMs: 200 }, { emulator: 0 }),
      lambda.invoke<Echoed>({ echo: "b", sleepMs: 200 }, { emulator: 0 }),
    ]);

    expect([a.functionError, b.functionError]).toEqual([undefined, undefined]);
    expect(a.payload.pid).toBe(b.payload.pid);
    const [first, second] = [a.payload, b.payload].sort((x, y) => x.startedAt - y.startedAt);
    expect(second!.startedAt).toBeGreaterThanOrEqual(first!.endedAt);
  });

  it("the emulators listen on 127.0.0.1 only (invocations and the runtime's API)", () => {
    const emulatorPorts = [0, 1].flatMap((i) => [ports.lambdaTestEcho + i, ports.lambdaTestEchoRuntimeApi + i]);
    const listeners = listeningSockets().filter((socket) => emulatorPorts.includes(socket.port));

    expect(listeners.map((socket) => socket.port).sort()).toEqual([...emulatorPorts].sort());
    expect(listeners.filter((socket) => socket.address !== "127.0.0.1")).toEqual([]);
  });

  it("a changed source is bundled again and its emulators restarted at the next up", async () => {
    const before = await lambda.invoke<Echoed>({ echo: "old bundle" });
    const source = path.join(repoRoot, echo.settings.source);
    const now = new Date();
    fs.utimesSync(source, now, now);

    await service.up(await loadOrCreateSecrets());
    const after = await lambda.invoke<Echoed>({ echo: "new bundle" });

    expect(after.functionError).toBeUndefined();
    expect(after.payload.pid).not.toBe(before.payload.pid);
  });
});

/** Listening TCP sockets from /proc/net/tcp and tcp6: an all-interfaces bind shows as 0.0.0.0 or ::. */
function listeningSockets(): { address: string; port: number }[] {
  const listen = "0A";
  const sockets: { address: string; port: number }[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of fs.readFileSync(file, "utf8").trim().split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== listen || !local) continue;
      const [hexAddress = "", hexPort = ""] = local.split(":");
      sockets.push({ address: decodeAddress(hexAddress), port: Number.parseInt(hexPort, 16) });
    }
  }
  return sockets;
}

function decodeAddress(hex: string): string {
  // IPv4 as little-endian bytes; IPv6 as four little-endian words (only "all zeros" matters here).
  if (hex.length === 8) return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(".");
  return /^0+$/.test(hex) ? "::" : `ipv6:${hex}`;
}
