import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as esbuild from "esbuild";
import { analyticsIngest, type FunctionSettings, handlerExport, recordingCompositor } from "../../functions/function-settings.ts";
import { recordingReportPath } from "../../protocol/recording-composition.ts";
import { warmupEvent } from "../../functions/warmup.ts";
import { isAlive, runningPid, sleep, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { analyticsBucket, databaseUrl, host, localInvocationUrl, ports, recordingsBucket, type LocalSecrets } from "../lib/local-config.ts";
import { binDir, dataDir, repoRoot, runDir } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";
import { ensureBucketExists, localS3Client, s3Endpoint, s3Region } from "./s3.ts";

/**
 * Lambdas run locally the way Lambda runs them: the handler bundled as SST bundles it, started by the AWS Lambda
 * Runtime Interface Emulator (aws-lambda-rie) through the Node runtime interface client (aws-lambda-ric), and invoked
 * over Lambda's Invoke API. An emulator runs one invocation at a time, as one Lambda execution environment does, so
 * a function gets one emulator per concurrent invocation it must take.
 */
export interface LocalFunction {
  settings: FunctionSettings;
  emulators: number;
  /** Emulator i takes invocations on invokePort + i and serves its runtime the Runtime API on runtimeApiPort + i. */
  invokePort: number;
  runtimeApiPort: number;
  /** The function's own environment (what sst.config.ts gives it in AWS). */
  env(secrets: LocalSecrets): Record<string, string>;
  /** Buckets it reads or writes, created at `up` (SST's `link` creates them in AWS). */
  buckets?: string[];
}

export const analyticsIngestFunction: LocalFunction = {
  settings: analyticsIngest,
  emulators: 2,
  invokePort: ports.analyticsIngest,
  runtimeApiPort: ports.analyticsIngestRuntimeApi,
  // The names functions/analytics-ingest/config.ts reads. The AWS_* keys are the local S3's root credentials, where
  // Lambda puts the execution role's: the SDK's default chain finds either.
  env: (secrets) => ({
    DATABASE_URL: databaseUrl(secrets),
    ANALYTICS_BUCKET: analyticsBucket,
    S3_ENDPOINT: s3Endpoint,
    S3_REGION: s3Region,
    S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: secrets.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: secrets.s3SecretKey,
  }),
  buckets: [analyticsBucket],
};

export interface CompositorInstance {
  settings: FunctionSettings;
  emulators: number;
  invokePort: number;
  runtimeApiPort: number;
  /** Where reports go: the Worker's route, or a test's receiver. */
  reportUrl: string;
  /** Output seconds per segment (production: the function's default, 60). */
  segmentSeconds?: number;
}

/** Debian's DejaVu (fonts-dejavu-core), when installed: names are drawn on tiles with it. */
const tileFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/**
 * The recording compositor on local emulators. Emulator 0 takes the API's compose invocations; the others are the
 * segment invocations' execution environments, which compose reaches through SEGMENT_INVOKE_ENDPOINTS, one segment
 * per emulator at a time (in AWS that variable is unset and Lambda's own endpoint scales out). Tests build their own
 * instance on other ports, with their own report receiver.
 */
export function recordingCompositorInstance(c: CompositorInstance): LocalFunction {
  const segmentEmulators = Array.from({ length: c.emulators - 1 }, (_, i) => `http://${host}:${c.invokePort + 1 + i}`);
  return {
    settings: c.settings,
    emulators: c.emulators,
    invokePort: c.invokePort,
    runtimeApiPort: c.runtimeApiPort,
    // The names functions/recording-compositor/config.ts reads.
    env: (secrets) => ({
      DATABASE_URL: databaseUrl(secrets),
      RECORDING_BUCKET: recordingsBucket,
      S3_ENDPOINT: s3Endpoint,
      S3_REGION: s3Region,
      S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: secrets.s3AccessKey,
      AWS_SECRET_ACCESS_KEY: secrets.s3SecretKey,
      // The emulator serves every function as "function".
      SEGMENT_FUNCTION_NAME: "function",
      SEGMENT_INVOKE_ENDPOINTS: segmentEmulators.join(","),
      ...(c.segmentSeconds ? { SEGMENT_SECONDS: String(c.segmentSeconds) } : {}),
      RECORDING_REPORT_URL: c.reportUrl,
      RECORDING_REPORT_SECRET: secrets.recordingReportSecret,
      // The system's ffmpeg (scripts/install-system.sh); in Lambda the static build of the ffmpeg layer.
      FFMPEG_PATH: "ffmpeg",
      FFPROBE_PATH: "ffprobe",
      ...(fs.existsSync(tileFont) ? { FONT_FILE: tileFont } : {}),
    }),
    buckets: [recordingsBucket],
  };
}

// Three emulators for two cores: one orchestrating invocation (mostly waiting) and two segments at a time.
export const recordingCompositorFunction = recordingCompositorInstance({
  settings: recordingCompositor,
  emulators: 3,
  invokePort: ports.recordingCompositor,
  runtimeApiPort: ports.recordingCompositorRuntimeApi,
  reportUrl: `http://${host}:${ports.worker}${recordingReportPath}`,
});

const emulatorBinary = path.join(binDir, "aws-lambda-rie");
const require = createRequire(import.meta.url);
/** aws-lambda-ric's entry: the same runtime client Lambda's managed Node runtime runs (/var/runtime/index.mjs). */
const runtimeClient = require.resolve("aws-lambda-ric");
const functionsDir = path.join(dataDir, "functions");
const bundleName = "index.mjs";

export const emulatorName = (fn: LocalFunction, index: number) => `lambda-${fn.settings.name}-${index}`;
export const invocationUrl = (fn: LocalFunction, index = 0) => localInvocationUrl(fn.invokePort + index);

function ensureBinary() {
  // The build script is a no-op when the binary matches its pin and patch.
  const build = spawnSync("bash", [path.join(repoRoot, "scripts/build-lambda-rie.sh")], { stdio: "inherit" });
  if (build.status !== 0 || !fs.existsSync(emulatorBinary)) throw new Error("building aws-lambda-rie failed (see output above)");
}

/** SST's Node bundle: ESM, every dependency inlined, a `require` for CommonJS dependencies, a linked source map. */
const bundleOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  mainFields: ["module", "main"],
  minify: true,
  keepNames: true,
  sourcemap: "linked",
  // Optional native add-ons SST never bundles (pg tries pg-native, and falls back to JavaScript).
  external: ["sharp", "pg-native"],
  banner: {
    js: [
      `import { createRequire as topLevelCreateRequire } from "module";`,
      `const require = topLevelCreateRequire(import.meta.url);`,
      `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url";`,
      `const __filename = topLevelFileUrlToPath(import.meta.url);`,
      `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url));`,
    ].join("\n"),
  },
  logLevel: "silent",
} satisfies esbuild.BuildOptions;

/** The bundle is current when it exists and none of the files it was built from changed since. */
function bundleIsCurrent(taskRoot: string): boolean {
  try {
    const built = fs.statSync(path.join(taskRoot, bundleName)).mtimeMs;
    const meta = JSON.parse(fs.readFileSync(path.join(taskRoot, "meta.json"), "utf8")) as esbuild.Metafile;
    return Object.keys(meta.inputs).every((input) => fs.statSync(path.resolve(repoRoot, input)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/** Builds into memory, then renames each file into place, so a concurrent `up` or a running runtime never reads half a bundle. */
async function bundle(fn: LocalFunction, taskRoot: string): Promise<void> {
  const result = await esbuild
    .build({
      ...bundleOptions,
      absWorkingDir: repoRoot,
      entryPoints: [path.join(repoRoot, fn.settings.source)],
      outfile: path.join(taskRoot, bundleName),
      metafile: true,
      write: false,
    })
    .catch((error: esbuild.BuildFailure) => {
      const messages = esbuild.formatMessagesSync(error.errors ?? [], { kind: "error", color: false });
      throw new Error(`bundling ${fn.settings.source} failed:\n${messages.join("\n") || String(error)}`);
    });
  fs.mkdirSync(taskRoot, { recursive: true });
  const place = (file: string, contents: Uint8Array | string) => {
    const staging = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(staging, contents);
    fs.renameSync(staging, file);
  };
  // The source map before the bundle that links it; the metafile, which marks the bundle current, last.
  const bundlePath = path.join(taskRoot, bundleName);
  for (const file of result.outputFiles) if (file.path !== bundlePath) place(file.path, file.contents);
  for (const file of result.outputFiles) if (file.path === bundlePath) place(file.path, file.contents);
  place(path.join(taskRoot, "meta.json"), JSON.stringify(result.metafile));
}

/**
 * What the managed runtime's bootstrap runs: node with the heap sized from the function's memory (a tenth for the
 * young generation, the rest for the old), then the runtime client. Source maps on, so local traces name the .ts.
 */
function bootstrapCommand(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    process.execPath,
    "--expose-gc",
    "--max-http-header-size",
    "81920",
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
    "--enable-source-maps",
    runtimeClient,
  ];
}

/**
 * The emulator passes its whole environment to the function, so it starts from an empty one (no variable of the
 * shell or test run leaks in) plus what Lambda sets and the function's own. Through the environment, not arguments,
 * so credentials stay out of `ps`.
 */
function emulatorEnv(fn: LocalFunction, taskRoot: string, secrets: LocalSecrets): NodeJS.ProcessEnv {
  const cleared = Object.fromEntries(Object.keys(process.env).map((key) => [key, undefined]));
  const { name, memoryMb, timeoutSeconds } = fn.settings;
  return {
    ...cleared,
    PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: path.dirname(runtimeClient),
    _HANDLER: `${path.basename(bundleName, ".mjs")}.${handlerExport}`,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_REGION: s3Region,
    AWS_DEFAULT_REGION: s3Region,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeoutSeconds),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    ...fn.env(secrets),
  };
}

/** A digest of what the running emulators were started with (emulator build, bundle, command, environment). */
function startDigest(taskRoot: string, command: string[], env: NodeJS.ProcessEnv): string {
  const bundleStat = fs.statSync(path.join(taskRoot, bundleName));
  const emulatorBuild = fs.readFileSync(`${emulatorBinary}.built`, "utf8");
  // Only the variables the emulator gets: the cleared ones differ with whoever runs `up` (npm, vitest, a shell).
  const given = Object.entries(env).filter(([, value]) => value !== undefined);
  const material = JSON.stringify([emulatorBuild, bundleStat.mtimeMs, bundleStat.size, command, given.sort()]);
  return crypto.createHash("sha256").update(material).digest("hex");
}

/**
 * Serialises `up`s of one function across processes: test runs bring the stack up concurrently, and two of them
 * restarting the same emulators at once would race for their ports and pid files. mkdir is the atomic step.
 */
async function withFunctionLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(runDir, `lambda-${name}.lock`);
  const ownerFile = path.join(lock, "pid");
  fs.mkdirSync(runDir, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(fs.existsSync(ownerFile) ? fs.readFileSync(ownerFile, "utf8") : 0);
    const abandoned = owner ? !isAlive(owner) : Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
    if (abandoned) fs.rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`another process (pid ${owner}) has held ${lock} for 3 minutes`);
    else await sleep(200);
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Daemons of this function that run now, including emulators beyond a count since lowered. */
function runningEmulators(fn: LocalFunction): string[] {
  const prefix = `lambda-${fn.settings.name}-`;
  const names = fs.existsSync(runDir) ? fs.readdirSync(runDir) : [];
  return names
    .filter((file) => file.startsWith(prefix) && file.endsWith(".pid") && /^\d+$/.test(file.slice(prefix.length, -4)))
    .map((file) => file.slice(0, -4))
    .filter((name) => runningPid(name));
}

interface WarmupOutcome {
  answered: boolean;
  functionError?: string;
}

/** Sends the warm-up event; a refused connection (still starting) is "not yet", a function error is final. */
async function warmup(url: string, timeoutMs: number): Promise<WarmupOutcome> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(warmupEvent), signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (response.headers.get("x-amz-function-error")) return { answered: true, functionError: body.slice(0, 2000) };
  if (!response.ok) return { answered: false };
  return { answered: true };
}

async function functionUp(fn: LocalFunction, secrets: LocalSecrets): Promise<string> {
  const { name, source } = fn.settings;
  const taskRoot = path.join(functionsDir, name);
  if (!fs.existsSync(path.join(repoRoot, source))) {
    for (const emulator of runningEmulators(fn)) await stopDaemon(emulator);
    return `${name}: not started (${source} does not exist yet)`;
  }
  if (!bundleIsCurrent(taskRoot)) await bundle(fn, taskRoot);

  if (fn.buckets?.length) {
    const s3 = localS3Client(secrets);
    try {
      for (const bucket of fn.buckets) await ensureBucketExists(s3, bucket);
    } finally {
      s3.destroy();
    }
  }

  const command = bootstrapCommand(fn.settings.memoryMb);
  const env = emulatorEnv(fn, taskRoot, secrets);
  const digest = startDigest(taskRoot, command, env);
  const digestFile = path.join(taskRoot, "started.sha256");
  const previous = fs.existsSync(digestFile) ? fs.readFileSync(digestFile, "utf8") : undefined;
  const wanted = new Set(Array.from({ length: fn.emulators }, (_, i) => emulatorName(fn, i)));
  // A runtime loads its bundle once; a new bundle, command or environment needs new emulators.
  for (const emulator of runningEmulators(fn)) {
    if (previous !== digest || !wanted.has(emulator)) await stopDaemon(emulator);
  }

  for (let i = 0; i < fn.emulators; i++) {
    const daemon = emulatorName(fn, i);
    if (runningPid(daemon)) continue;
    for (const port of [fn.invokePort + i, fn.runtimeApiPort + i]) {
      if (await tcpReachable(port)) throw new Error(`port ${port} is taken by a process this checkout did not start`);
    }
    startDaemon({
      name: daemon,
      command: emulatorBinary,
      args: [
        // Both addresses pinned to loopback: the emulator's default for invocations is every interface.
        "--runtime-interface-emulator-address",
        `${host}:${fn.invokePort + i}`,
        "--runtime-api-address",
        `${host}:${fn.runtimeApiPort + i}`,
        ...command,
      ],
      env,
      cwd: taskRoot,
    });
  }
  fs.writeFileSync(digestFile, digest);

  // Every emulator answers a warm-up invocation before `up` resolves: its runtime is started, the handler loaded.
  const timeoutMs = (fn.settings.timeoutSeconds + 10) * 1000;
  for (let i = 0; i < fn.emulators; i++) {
    let outcome: WarmupOutcome = { answered: false };
    await waitUntil(
      emulatorName(fn, i),
      async () => {
        outcome = await warmup(invocationUrl(fn, i), timeoutMs);
        return outcome.answered;
      },
      timeoutMs,
    );
    if (outcome.functionError) throw new Error(`${name} failed its warm-up invocation: ${outcome.functionError}`);
  }
  const last = fn.invokePort + fn.emulators - 1;
  const portList = fn.emulators > 1 ? `${fn.invokePort}–${last}` : `${fn.invokePort}`;
  return `${name}: ${invocationUrl(fn)} (aws-lambda-rie on ${host}:${portList}, ${fn.settings.memoryMb} MB, ${fn.settings.timeoutSeconds} s, bundle ${path.relative(repoRoot, taskRoot)})`;
}

/** A set of local functions as one service of the stack. */
export function localLambdaService(name: string, functions: LocalFunction[]): LocalService {
  return {
    name,
    async up(secrets) {
      ensureBinary();
      const described: string[] = [];
      for (const fn of functions) described.push(await withFunctionLock(fn.settings.name, () => functionUp(fn, secrets)));
      return described.join("\n          ");
    },
    async down() {
      for (const fn of functions) for (const emulator of runningEmulators(fn)) await stopDaemon(emulator);
    },
  };
}

/** The product's functions (functions/). */
export const lambdaService: LocalService = localLambdaService("lambda", [analyticsIngestFunction, recordingCompositorFunction]);
