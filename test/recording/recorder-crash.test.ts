import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpRecorderPool } from "../../media-fleet/recorder-client/http-recorder.ts";
import { recordingPrefix } from "../../protocol/recording-composition.ts";
import { recorderBinary, recorderEnv } from "../../scripts/services/recorder.ts";
import { poll } from "../support/poll.ts";
import { recorderHarness, sleep, type RecorderHarness } from "./recorder-harness.ts";

// A recorder process of this test's own (same binary and settings as the local stack's, on a port of its own)
// killed with SIGKILL mid-recording: what it uploaded before dying stays usable.

let h: RecorderHarness;
let child: ChildProcess | undefined;
let workDir: string;

/** Starts `track-recorder serve` on a free loopback port; resolves with its URL once it listens. */
async function startOwnRecorder(): Promise<string> {
  workDir = await mkdtemp(join(tmpdir(), "recorder-crash-"));
  const env = { ...recorderEnv(h.secrets, 0, workDir), RECORDER_LISTEN: "127.0.0.1:0" };
  const proc = spawn(recorderBinary(), ["serve"], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  child = proc;
  return new Promise((resolve, reject) => {
    let log = "";
    proc.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const address = /"msg":"recorder listening","address":"([^"]+)"/.exec(log)?.[1];
      if (address) resolve(`http://${address}`);
    });
    proc.once("exit", (code) => reject(new Error(`recorder exited (${code}): ${log.slice(-500)}`)));
  });
}

beforeAll(async () => {
  h = await recorderHarness("crash");
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await h?.cleanup();
  await rm(workDir, { recursive: true, force: true });
  await dispose();
});

it("a recorder killed with SIGKILL mid-recording leaves every chunk uploaded before, and a manifest listing them that parses", async () => {
  const url = await startOwnRecorder();
  const pool = new HttpRecorderPool({ pool: [{ id: url, url }], controlSecret: h.secrets.recorderControlSecret });
  const room = await h.newRoom("kill");
  await h.join(room, "ada");
  const start = h.capture(room);
  const { recorderId } = await pool.start(start);
  const before = await poll(
    () => pool.status(recorderId, start.recordingId),
    (s) => s.chunksUploaded >= 4,
    15_000,
  );
  expect(before.chunksUploaded).toBeGreaterThanOrEqual(4);
  await sleep(300); // the manifest is rewritten right after each chunk
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  child!.kill("SIGKILL");
  await exited;

  const prefix = recordingPrefix(start.tenantId, start.recordingId);
  const m = await h.readManifest(`${prefix}manifest.json`);
  const listed = m.tracks.flatMap((t) => t.files.map((f) => f.key));
  expect(listed.length).toBeGreaterThanOrEqual(before.chunksUploaded);
  const stored = new Set(await h.listKeys(`${prefix}tracks/`));
  for (const key of listed) expect(stored.has(key), key).toBe(true);
  for (const track of m.tracks) expect(await h.probe(track.files[0]!.key)).toEqual([track.codec]);
});
