import { SignJWT, generateKeyPair, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, expectProblem, mintToken, newTenant, workerUrl } from "../support/stack.ts";

let key: string;
let tenantId: string;
let meetingId: string;
let validToken: string;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const connect = (id: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${workerUrl}/v1/meetings/${id}/connect${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`, { headers });

/** Signs with the deployment's real key: what a token minted earlier (now expired) looks like. */
async function signWithDeploymentKey(claims: Record<string, unknown>, expiresAt: number, issuedAt = expiresAt - 300) {
  const [jwk] = (await loadOrCreateSecrets()).joinTokenSigningKeys as { kid: string }[];
  const keyLike = await importJWK(jwk as never, "ES256");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: jwk!.kid, typ: "JWT" })
    .setIssuer("edge-meetings")
    .setAudience("meeting-join")
    .setJti(crypto.randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(keyLike);
}

beforeAll(async () => {
  const tenant = await newTenant("join-tokens");
  key = tenant.apiKey;
  tenantId = tenant.tenantId;
  meetingId = (await createMeeting(key)).id;
  validToken = (await mintToken(key, meetingId, { identity: "alice", role: "participant" })).token;
});

describe("join token attacks on /v1/meetings/:id/connect", () => {
  it("a valid token without a WebSocket upgrade gets 426, proving the token itself passed", async () => {
    await expectProblem(await connect(meetingId, validToken), 426, "upgrade_required");
  });

  it("refuses a missing token", async () => {
    await expectProblem(await connect(meetingId), 401, "unauthorized");
  });

  it("refuses an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithDeploymentKey({ tid: tenantId, mid: meetingId, role: "host", sub: "alice" }, now - 60);
    await expectProblem(await connect(meetingId, expired), 401, "join_token_expired");
  });

  it("refuses a token whose payload was edited (participant -> host)", async () => {
    const [header, payload, signature] = validToken.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const tampered = [header, b64({ ...claims, role: "host" }), signature].join(".");
    await expectProblem(await connect(meetingId, tampered), 401, "invalid_join_token");
  });

  it("refuses an unsigned alg:none token", async () => {
    const claims = JSON.parse(Buffer.from(validToken.split(".")[1]!, "base64url").toString());
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, role: "host" })}.`;
    await expectProblem(await connect(meetingId, unsigned), 401, "invalid_join_token");
  });

  it("refuses an HS256 token keyed with the published public key (algorithm confusion)", async () => {
    const jwks = (await (await fetch(`${workerUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const claims = JSON.parse(Buffer.from(validToken.split(".")[1]!, "base64url").toString());
    const confused = await new SignJWT({ ...claims, role: "host" })
      .setProtectedHeader({ alg: "HS256", kid: jwks.keys[0]!.kid })
      .sign(publicKeyBytes);
    await expectProblem(await connect(meetingId, confused), 401, "invalid_join_token");
  });

  it("refuses a token signed by an attacker's key that claims our kid", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const [jwk] = (await loadOrCreateSecrets()).joinTokenSigningKeys as { kid: string }[];
    const forged = await new SignJWT({ tid: tenantId, mid: meetingId, role: "host" })
      .setProtectedHeader({ alg: "ES256", kid: jwk!.kid })
      .setSubject("mallory")
      .setIssuer("edge-meetings")
      .setAudience("meeting-join")
      .setJti("x")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expectProblem(await connect(meetingId, forged), 401, "invalid_join_token");
  });

  it("refuses a valid token presented at another meeting's URL", async () => {
    const other = await createMeeting(key);
    await expectProblem(await connect(other.id, validToken), 401, "invalid_join_token");
  });

  it("refuses garbage and an oversized token with clear problems", async () => {
    await expectProblem(await connect(meetingId, "not.a.jwt"), 401, "invalid_join_token");
    await expectProblem(await connect(meetingId, "x".repeat(5000)), 400, "validation_failed");
  });

  it("refuses a still-valid token once its meeting has ended", async () => {
    const meeting = await createMeeting(key);
    const { token } = await mintToken(key, meeting.id);
    await api(`/v1/meetings/${meeting.id}/end`, { key, method: "POST" });
    await expectProblem(await connect(meeting.id, token), 409, "meeting_ended");
  });
});

describe("the meeting room behind a verified token", () => {
  it("welcomes the participant named in the token, and closes everyone when the meeting ends through the API", async () => {
    const meeting = await createMeeting(key);
    const { connectUrl } = await mintToken(key, meeting.id, { identity: "erin", role: "host" });
    const client = await RoomClient.join(connectUrl);
    expect(client.frames[0]).toMatchObject({
      type: "welcome",
      protocolVersion: 1,
      meetingId: meeting.id,
      self: { identity: "erin", role: "host" },
    });
    await api(`/v1/meetings/${meeting.id}/end`, { key, method: "POST" });
    expect((await client.waitClosed()).code).toBe(4000);
    expect(client.frames.at(-1)).toMatchObject({ type: "meeting_ended", reason: "ended_by_api" });
  });
});
