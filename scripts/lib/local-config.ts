import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { dataDir } from "./paths.ts";

/** Loopback ports of the local stack. None is a default port, so system services can't collide. */
export const ports = {
  postgres: 54329,
  pgWsProxy: 6543,
  redis: 63799,
  upstashBridge: 8079,
  livekit: 7880,
  livekitRtcTcp: 7881,
  livekitRtcUdp: 7882,
  // A second LiveKit node in the same cluster (same Redis and keys): its own HTTP and rtc ports.
  livekitB: 7890,
  livekitBRtcTcp: 7891,
  livekitBRtcUdp: 7892,
  s3: 7070,
  turn: 3478,
  turnRelayMin: 49160,
  turnRelayMax: 49260,
  worker: 8787,
  // The local runtime's trigger routes (cron handlers on demand), beside the Worker's own socket.
  workerTriggers: 8788,
  // The room sockets' Worker (wrangler.rooms.toml): the meeting-room WebSocket without the asset layer in front.
  roomSockets: 8789,
  // Lambdas under aws-lambda-rie: emulator i of a function takes invocations on its port + i and serves its
  // runtime its own Runtime API on runtimeApi + i (the emulator's default, 9001, would be shared by all of them).
  analyticsIngest: 9100,
  analyticsIngestRuntimeApi: 9110,
  // The local runtime's own test subject (test/lambda/local-runtime.test.ts).
  // The recording compositor's emulators (one orchestrating invocation, two segments at a time), and the test
  // suites' own instance of it (test/recording/compositor-*.test.ts) with a report receiver beside it.
  recordingCompositor: 9120,
  recordingCompositorRuntimeApi: 9130,
  recordingCompositorTest: 9140,
  recordingCompositorTestRuntimeApi: 9150,
  recordingReportTestReceiver: 9160,
  lambdaTestEcho: 9190,
  lambdaTestEchoRuntimeApi: 9195,
  // Two track recorders (scripts/services/recorder.ts), their control APIs.
  recorder: 9300,
  recorderB: 9301,
  // The local OpenID provider (scripts/oidc-provider/), tenants' identity provider in tests and `npm run dev`.
  oidc: 9400,
  // The local SAML identity provider (SimpleSAMLphp, scripts/services/saml-idp.ts).
  samlIdp: 9410,
} as const;

export const host = "127.0.0.1";

/** Dev-only credentials, generated once per checkout into .data/secrets.json (git-ignored). */
export interface LocalSecrets {
  postgresPassword: string;
  upstashToken: string;
  livekitApiKey: string;
  livekitApiSecret: string;
  s3AccessKey: string;
  s3SecretKey: string;
  turnSecret: string;
  /** Private ES256 JWKs with `kid`; the first one signs, all are published. */
  joinTokenSigningKeys: Record<string, unknown>[];
  /** Seals webhook signing secrets at rest (32 bytes, base64). */
  webhookSecretsKey: string;
  /** Signs the track recorders' control tokens (HS256, shared by the recorders and the Worker). */
  recorderControlSecret: string;
  /** Signs the recording compositor's reports to the API (HS256, shared by the Lambda and the Worker). */
  recordingReportSecret: string;
  /** Seals tenants' identity-provider client secrets at rest (32 bytes, base64). */
  identitySecretsKey: string;
  /** The local OpenID provider's initial access token for dynamic client registration. */
  oidcRegistrationToken: string;
  /** Signs the local OpenID provider's own cookies. */
  oidcCookieKey: string;
}

const secretsFile = path.join(dataDir, "secrets.json");
const random = (bytes: number) => crypto.randomBytes(bytes).toString("base64url");

export async function loadOrCreateSecrets(): Promise<LocalSecrets> {
  if (fs.existsSync(secretsFile)) {
    const stored = JSON.parse(fs.readFileSync(secretsFile, "utf8")) as LocalSecrets;
    // Secrets added after a machine's file was written are generated once and kept.
    const added: Partial<LocalSecrets> = {};
    if (!stored.webhookSecretsKey) added.webhookSecretsKey = crypto.randomBytes(32).toString("base64");
    if (!stored.recordingReportSecret) added.recordingReportSecret = random(32);
    if (!stored.identitySecretsKey) added.identitySecretsKey = crypto.randomBytes(32).toString("base64");
    if (!stored.oidcRegistrationToken) added.oidcRegistrationToken = random(24);
    if (!stored.oidcCookieKey) added.oidcCookieKey = random(24);
    if (Object.keys(added).length) {
      Object.assign(stored, added);
      fs.writeFileSync(secretsFile, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }
    if (!stored.recorderControlSecret) {
      stored.recorderControlSecret = random(32);
      fs.writeFileSync(secretsFile, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }
    return stored;
  }
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `dev-${random(6)}`, alg: "ES256", use: "sig" };
  const secrets: LocalSecrets = {
    postgresPassword: random(18),
    upstashToken: random(24),
    livekitApiKey: `API${random(9)}`,
    livekitApiSecret: random(32),
    s3AccessKey: `AK${random(9)}`,
    s3SecretKey: random(30),
    turnSecret: random(24),
    joinTokenSigningKeys: [jwk],
    webhookSecretsKey: crypto.randomBytes(32).toString("base64"),
    recorderControlSecret: random(32),
    recordingReportSecret: random(32),
    identitySecretsKey: crypto.randomBytes(32).toString("base64"),
    oidcRegistrationToken: random(24),
    oidcCookieKey: random(24),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export const database = { name: "meetings", user: "meetings" } as const;
export const s3Bucket = "meetings-dev";

/** The analytics ingestion function's Parquet bucket (the `Analytics` bucket of sst.config.ts). */
export const analyticsBucket = "analytics";
/** Recordings: the recorder's tracks and manifests, the compositor's segments and renditions (`Recordings` in sst.config.ts). */
export const recordingsBucket = "recordings";

/**
 * Where a local function's emulator takes invocations: Lambda's Invoke API path, whose function name the emulator
 * fixes as `function` (an AWS SDK Lambda client with this endpoint invokes FunctionName "function").
 */
export const localInvocationUrl = (port: number) => `http://${host}:${port}/2015-03-31/functions/function/invocations`;

/** postgres:// URL the Neon driver dials (through the WebSocket proxy) and drizzle-kit/migrations use. */
export const databaseUrl = (s: LocalSecrets) =>
  `postgres://${database.user}:${encodeURIComponent(s.postgresPassword)}@${host}:${ports.postgres}/${database.name}`;

/**
 * The two local LiveKit nodes as the Worker's media fleet: one region each (as LiveKit's own region-aware
 * placement has them), at the same spot, so meetings go to node A while it is healthy and fail over to node B.
 */
function localMediaFleet(s: LocalSecrets) {
  const location = { label: "this machine", continent: "EU", latitude: 0, longitude: 0 };
  const node = (id: string, port: number, clusterRegion: string) => ({
    id,
    clusterRegion,
    url: `http://${host}:${port}`,
    apiKey: s.livekitApiKey,
    apiSecret: s.livekitApiSecret,
    capacity: { maxParticipants: 500 },
    kind: "self-hosted",
  });
  return {
    // Both nodes report this machine's CPU, loaded by everything else running here (tests, browsers): no limit,
    // as the nodes' own sysload_limit (scripts/services/livekit.ts).
    cpuLimit: null,
    regions: [
      { id: "local-a", location, nodes: [node("livekit-a", ports.livekit, "local-a")] },
      { id: "local-b", location, nodes: [node("livekit-b", ports.livekitB, "local-b")] },
    ],
  };
}

/** Seconds between webhook attempts locally (production: 0, 5 s, 5 min, … 24 h). */
export const localWebhookRetrySchedule = [0, 1, 1, 2, 3, 4, 5, 6, 7, 8];

/** The Worker's bindings for local runs: written to .dev.vars, which the local runtime reads (scripts/worker-runtime/serve.ts). */
export function workerVars(s: LocalSecrets): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(s),
    NEON_WS_PROXY: `${host}:${ports.pgWsProxy}`,
    UPSTASH_REDIS_REST_URL: `http://${host}:${ports.upstashBridge}`,
    UPSTASH_REDIS_REST_TOKEN: s.upstashToken,
    LIVEKIT_URL: `http://${host}:${ports.livekit}`,
    LIVEKIT_API_KEY: s.livekitApiKey,
    LIVEKIT_API_SECRET: s.livekitApiSecret,
    MEDIA_FLEET_CONFIG: JSON.stringify(localMediaFleet(s)),
    // The local LiveKit nodes share the Redis behind the Upstash bridge.
    LIVEKIT_CLUSTER_STATS_URL: `http://${host}:${ports.upstashBridge}`,
    LIVEKIT_CLUSTER_STATS_TOKEN: s.upstashToken,
    S3_ENDPOINT: `http://${host}:${ports.s3}`,
    S3_REGION: "us-east-1",
    S3_BUCKET: s3Bucket,
    S3_ACCESS_KEY_ID: s.s3AccessKey,
    S3_SECRET_ACCESS_KEY: s.s3SecretKey,
    TURN_URLS: `turn:${host}:${ports.turn}?transport=udp,turn:${host}:${ports.turn}?transport=tcp`,
    TURN_SECRET: s.turnSecret,
    JOIN_TOKEN_SIGNING_KEYS: JSON.stringify(s.joinTokenSigningKeys),
    // Join tokens hand out the room sockets' Worker, as a deployment with wrangler.rooms.toml does.
    ROOM_SOCKETS_ORIGIN: `ws://${host}:${ports.roomSockets}`,
    WEBHOOK_SECRETS_KEY: s.webhookSecretsKey,
    // Webhook receivers run on loopback here; production allows no private target.
    WEBHOOK_ALLOWED_PRIVATE_HOSTS: host,
    // The Standard Webhooks schedule's ten attempts, compressed from days to seconds so tests see it whole.
    WEBHOOK_RETRY_SCHEDULE: localWebhookRetrySchedule.join(","),
    // The analytics ingestion Lambda's first emulator (scripts/services/lambda.ts).
    ANALYTICS_INGEST_URL: localInvocationUrl(ports.analyticsIngest),
    // Locally a room sends its records every 2 s (a dev sees them at once) and holds at most 400 samples while
    // ingestion is down (tests reach the bound in seconds); production keeps the defaults (10 s, 20,000).
    ANALYTICS_BATCH_MAX_AGE_MS: "2000",
    ANALYTICS_QUEUE_MAX_SAMPLES: "400",
    // The two local track recorders (scripts/services/recorder.ts) and the secret their control tokens are signed with.
    RECORDER_URLS: [ports.recorder, ports.recorderB].map((port) => `http://${host}:${port}`).join(","),
    RECORDER_CONTROL_SECRET: s.recorderControlSecret,
    // Verifies the recording compositor's reports (the same secret signs them, scripts/services/lambda.ts).
    RECORDING_REPORT_SECRET: s.recordingReportSecret,
    // A stopped recording is handed to the compositor's first emulator (asynchronous invocation), in this bucket.
    RECORDING_COMPOSE_URL: localInvocationUrl(ports.recordingCompositor),
    RECORDING_BUCKET: recordingsBucket,
    IDENTITY_SECRETS_KEY: s.identitySecretsKey,
    // The local OpenID provider speaks plain http on loopback; production refuses any identity provider not on https.
    IDENTITY_ALLOW_HTTP_ISSUERS: host,
  };
}
