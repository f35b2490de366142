import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { runningPid, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { host, ports, recordingsBucket, type LocalSecrets } from "../lib/local-config.ts";
import { dataDir, repoRoot } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";
import { ensureBucketExists, localS3Client, s3Endpoint, s3Region } from "./s3.ts";

/**
 * Two track recorders (media-fleet/recorder/, Go), each a `track-recorder serve` on loopback: the pool the Worker
 * places captures on (RECORDER_URLS). They join the local LiveKit nodes and upload to the local S3's recordings
 * bucket, in 2 s chunks (production: 10 s) so tests see several chunks in a few seconds.
 */
export interface LocalRecorder {
  /** Daemon name: pid in .data/run/<name>.pid, log in .data/logs/<name>.log. */
  name: string;
  port: number;
}

export const localRecorders: readonly LocalRecorder[] = [
  { name: "recorder", port: ports.recorder },
  { name: "recorder-b", port: ports.recorderB },
];
export const recorderUrl = (r: LocalRecorder) => `http://${host}:${r.port}`;
export const localChunkSeconds = 2;

/** The binary for the current sources (built once per source hash, cached in .cache/bin). */
export function recorderBinary(): string {
  const build = spawnSync("bash", [path.join(repoRoot, "scripts/build-recorder.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const binary = build.stdout.trim();
  if (build.status !== 0 || !binary || !fs.existsSync(binary)) throw new Error("building track-recorder failed (see output above)");
  return binary;
}

/** The environment `track-recorder serve` reads (secrets through the environment, never flags). */
export function recorderEnv(secrets: LocalSecrets, port: number, workDir: string): Record<string, string> {
  return {
    RECORDER_LISTEN: `${host}:${port}`,
    RECORDER_CONTROL_SECRET: secrets.recorderControlSecret,
    RECORDER_CHUNK_SECONDS: String(localChunkSeconds),
    RECORDER_MAX_TRACKS: "32",
    RECORDER_WORK_DIR: workDir,
    LIVEKIT_API_KEY: secrets.livekitApiKey,
    LIVEKIT_API_SECRET: secrets.livekitApiSecret,
    S3_ENDPOINT: s3Endpoint,
    S3_REGION: s3Region,
    S3_BUCKET: recordingsBucket,
    S3_ACCESS_KEY_ID: secrets.s3AccessKey,
    S3_SECRET_ACCESS_KEY: secrets.s3SecretKey,
  };
}

async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
  return response.ok;
}

async function recorderUp(recorder: LocalRecorder, binary: string, secrets: LocalSecrets): Promise<string> {
  const workDir = path.join(dataDir, recorder.name);
  const env = recorderEnv(secrets, recorder.port, workDir);
  // A running recorder keeps the binary and settings it started with: a new build or setting means a restart.
  const digest = crypto
    .createHash("sha256")
    .update(JSON.stringify([binary, Object.entries(env).sort()]))
    .digest("hex");
  const digestFile = path.join(workDir, "started.sha256");
  const previous = fs.existsSync(digestFile) ? fs.readFileSync(digestFile, "utf8") : undefined;
  if (runningPid(recorder.name) && previous !== digest) await stopDaemon(recorder.name, 20_000);
  if (!runningPid(recorder.name) && (await tcpReachable(recorder.port))) {
    throw new Error(`port ${recorder.port} is taken by a process this checkout did not start`);
  }
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  startDaemon({ name: recorder.name, command: binary, args: ["serve"], env });
  fs.writeFileSync(digestFile, digest);
  await waitUntil(recorder.name, () => healthy(recorder.port));
  return `${recorderUrl(recorder)} (track-recorder ${path.basename(binary).replace("track-recorder-", "")}, ${localChunkSeconds} s chunks → s3://${recordingsBucket})`;
}

export const recorderService: LocalService = {
  name: "recorder",
  async up(secrets) {
    const binary = recorderBinary();
    const s3 = localS3Client(secrets);
    try {
      await ensureBucketExists(s3, recordingsBucket);
    } finally {
      s3.destroy();
    }
    const described: string[] = [];
    for (const recorder of localRecorders) described.push(await recorderUp(recorder, binary, secrets));
    return described.join("\n          ");
  },
  async down() {
    // SIGTERM: each recorder finishes its captures (last chunks and manifests uploaded) before it exits.
    for (const recorder of localRecorders) await stopDaemon(recorder.name, 20_000);
  },
};
