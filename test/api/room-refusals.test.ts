import crypto from "node:crypto";
import { AccessToken } from "livekit-server-sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import { loadOrCreateSecrets, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { errorCatalog } from "../../workers/api/errors.ts";
import { createMeeting, newTenant, workerUrl, type Problem } from "../support/stack.ts";

/**
 * The meeting room refuses what it can't take on its internal routes, and the Worker answers its caller with one
 * of its own problems, never with the room's body. From outside, the room is reached with something the Worker
 * passes on but the room's contract refuses: a LiveKit webhook (signed with the local node's real key) about a
 * participant whose identity is longer than any identity we issue.
 */

let secrets: LocalSecrets;
let tenant: { apiKey: string; tenantId: string };
let meetingId: string;

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  tenant = await newTenant("room-refusals");
  meetingId = (await createMeeting(tenant.apiKey, { title: "Refusals" })).id;
});

/** Signed the way LiveKit signs: an HS256 token by the node's API key carrying the body's SHA-256. */
async function postWebhook(body: string): Promise<Response> {
  const token = new AccessToken(secrets.livekitApiKey, secrets.livekitApiSecret, { ttl: "5m" });
  token.sha256 = crypto.createHash("sha256").update(body).digest("base64");
  return fetch(`${workerUrl}/v1/livekit/webhook`, {
    method: "POST",
    headers: { "content-type": "application/webhook+json", authorization: await token.toJwt() },
    body,
  });
}

function participantJoined(eventId: string, identity: string): string {
  return JSON.stringify({
    event: "participant_joined",
    id: eventId,
    createdAt: String(Math.floor(Date.now() / 1000)),
    room: { name: meetingMediaRoom(tenant.tenantId, meetingId), sid: "RM_refusal" },
    participant: { identity, sid: "PA_refusal", joinedAt: String(Math.floor(Date.now() / 1000)) },
  });
}

/** A problem+json answer with a code from the API's catalog at that code's status, and nothing of the room's text. */
async function expectCatalogProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(Object.keys(errorCatalog)).toContain(problem.code);
  expect(problem.status).toBe(errorCatalog[problem.code as keyof typeof errorCatalog].status);
  expect(response.status).toBe(problem.status);
  expect(problem.type).toBe(`urn:edge-meetings:problem:${problem.code}`);
  expect(problem.instance).toMatch(/^req_[0-9a-f]{32}$/);
  expect(text).not.toMatch(/^(?:not found|internal error)$/i);
  expect(text).not.toMatch(/\bat .+\.(?:ts|js):\d+|ZodError|stack/i);
  return problem;
}

describe("the meeting room's refusals reach callers as the Worker's problems", () => {
  it("a media event the room's contract refuses is a problem+json answer to the webhook, and LiveKit may retry it", async () => {
    const eventId = `EV_${crypto.randomUUID()}`;
    const body = participantJoined(eventId, "x".repeat(200));
    const refused = await postWebhook(body);
    const problem = await expectCatalogProblem(refused);
    // The room names the field its contract refuses (RoomRouteError validation_failed), never the value.
    expect(problem).toMatchObject({ code: "validation_failed", status: 400 });
    expect(problem.detail).toMatch(/identity/);
    expect(JSON.stringify(problem)).not.toContain("x".repeat(129));

    // Not processed, so the replay guard let go of the id: the retry meets the room again, not webhook_replayed.
    const retried = await postWebhook(body);
    expect((await expectCatalogProblem(retried)).code).toBe(problem.code);
  });

  it("the same webhook with an identity the room takes is accepted, so the refusal above is the room's and not the route's", async () => {
    const accepted = await postWebhook(participantJoined(`EV_${crypto.randomUUID()}`, "ana"));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ accepted: true });
  });
});
