import { SignJWT } from "jose";
import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaFleetError } from "../../media-fleet/errors.ts";
import { mintControlToken } from "../../media-fleet/recorder-client/control-token.ts";
import { HttpRecorderPool } from "../../media-fleet/recorder-client/http-recorder.ts";
import { CaptureStatusBody, RecorderHealth, RecorderProblem, recorderRoutes } from "../../protocol/recorder-control.ts";
import { localPool, recorderHarness, type RecorderHarness } from "./recorder-harness.ts";

// The control API of a local recorder process: its token check, its body validation, idempotent start and stop,
// and the client's errors. No media flows here (an empty room).

let h: RecorderHarness;
const base = localPool[0]!.url;

beforeAll(async () => {
  h = await recorderHarness("control");
});

afterAll(async () => {
  await h?.cleanup();
  await dispose();
});

const sign = (claims: Record<string, unknown>, secret: string, alg = "HS256") =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));

/** `at`: the recorder's base URL (the first local one unless given). */
async function send(path: string, init: { method?: string; token?: string; body?: string; contentType?: string; at?: string } = {}) {
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/json" };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${init.at ?? base}${path}`, { method: init.method ?? "POST", headers, body: init.body });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), text, json: JSON.parse(text) as unknown };
}

describe("recorder control API", () => {
  it("answers only a fresh HS256 token for the recorder audience; anything else is 401 with nothing leaked", async () => {
    const secret = h.secrets.recorderControlSecret;
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, string | undefined> = {
      "no token": undefined,
      "not a JWT": "abc",
      "wrong secret": await sign({ aud: "recorder", exp: now + 30 }, "x".repeat(40)),
      expired: await sign({ aud: "recorder", exp: now - 30 }, secret),
      "wrong audience": await sign({ aud: "recording-report", exp: now + 30 }, secret),
      "no expiry": await sign({ aud: "recorder" }, secret),
      "expiry too far ahead": await sign({ aud: "recorder", exp: now + 600 }, secret),
      HS512: await sign({ aud: "recorder", exp: now + 30 }, secret, "HS512"),
      "alg none": `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ aud: "recorder", exp: now + 30 })).toString("base64url")}.`,
    };
    for (const [what, token] of Object.entries(tokens)) {
      const answer = await send(recorderRoutes.start, { token, body: "{}" });
      expect(answer.status, what).toBe(401);
      expect(answer.type).toBe("application/problem+json");
      expect(RecorderProblem.parse(answer.json).code).toBe("unauthorized");
      if (token) expect(answer.text).not.toContain(token);
    }
    const health = await fetch(`${base}${recorderRoutes.health}`);
    expect(RecorderHealth.parse(await health.json())).toMatchObject({ status: "ok", maxTracks: 32 });
  });

  it("refuses bad bodies with a clear 400 naming each field", async () => {
    const token = await mintControlToken(h.secrets.recorderControlSecret, Date.now());
    const good = h.capture(await h.newRoom("bodies"));
    const cases: [string, string, string, string[]][] = [
      ["not JSON", "{", "malformed_json", []],
      ["an array", "[]", "validation_failed", []],
      ["missing everything", "{}", "validation_failed", ["excluded", "layout", "meetingId", "nodeUrl", "recordingId", "room", "tenantId"]],
      [
        "a bad id and URL",
        JSON.stringify({ ...good, recordingId: "nope", nodeUrl: "ftp://x" }),
        "validation_failed",
        ["nodeUrl", "recordingId"],
      ],
      ["an unknown field", JSON.stringify({ ...good, colour: "red" }), "validation_failed", ["colour"]],
      [
        "a bad exclusion",
        JSON.stringify({ ...good, excluded: [{ identity: "", reason: "shy" }] }),
        "validation_failed",
        ["excluded.0.identity", "excluded.0.reason"],
      ],
    ];
    for (const [what, body, code, paths] of cases) {
      const answer = await send(recorderRoutes.start, { token, body });
      expect(answer.status, what).toBe(400);
      const problem = RecorderProblem.parse(answer.json);
      expect(problem.code, what).toBe(code);
      for (const path of paths)
        expect(
          problem.issues?.map((i) => i.path),
          what,
        ).toContain(path);
    }
    const plain = await send(recorderRoutes.start, { token, body: JSON.stringify(good), contentType: "text/plain" });
    expect(plain.status).toBe(415);
  });

  it("start is idempotent on the recording id, stop too; a stopped capture refuses pause; unknown ids are recording_not_found", async () => {
    const start = h.capture(await h.newRoom("idempotent"));
    const first = await h.pool.start(start);
    const again = await h.pool.start(start);
    expect(again).toEqual(first);
    const token = await mintControlToken(h.secrets.recorderControlSecret, Date.now());
    // The pool places a capture on its least busy recorder (not always the first, when other tests record): the
    // repeat goes to the one it chose, which must answer 200 with the running capture, not start another.
    const chosen = localPool.find((member) => member.id === first.recorderId)!;
    const direct = await send(recorderRoutes.start, { token, body: JSON.stringify(start), at: chosen.url });
    expect(direct.status).toBe(200);
    expect(CaptureStatusBody.parse(direct.json).startedAt).toBe(first.startedAt.getTime());

    const stopped = await h.pool.stop(first.recorderId, start.recordingId);
    expect(await h.pool.stop(first.recorderId, start.recordingId)).toEqual(stopped);
    const manifest = await h.readManifest(stopped.manifestKey);
    expect(manifest).toMatchObject({ recordingId: start.recordingId, tracks: [], participants: [] });

    const code = async (call: Promise<unknown>) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MediaFleetError);
      return (error as MediaFleetError).code;
    };
    expect(await code(h.pool.pause(first.recorderId, start.recordingId))).toBe("capture_stopped");
    expect(await code(h.pool.status(first.recorderId, crypto.randomUUID()))).toBe("recording_not_found");
    expect(await code(h.pool.status("http://127.0.0.1:1", start.recordingId))).toBe("recording_not_found");
    const wrongSecret = new HttpRecorderPool({ pool: localPool, controlSecret: "y".repeat(40) });
    expect(await code(wrongSecret.status(first.recorderId, start.recordingId))).toBe("unauthorized");
    const nobody = new HttpRecorderPool({ pool: [{ id: "http://127.0.0.1:1", url: "http://127.0.0.1:1" }], controlSecret: "z".repeat(40) });
    expect(await code(nobody.start(h.capture(start.room)))).toBe("node_unreachable");
  });
});
