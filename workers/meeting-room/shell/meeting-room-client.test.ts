import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MeetingId, ParticipantIdentity, TenantId } from "../../../protocol/ids.ts";
import type { MeetingRoomSettings, VerifiedParticipant } from "../../../protocol/room-contract.ts";
import type { AppEnv } from "../../api/app-env.ts";
import { onError } from "../../api/middleware/problem.ts";
import { endMeetingRoom, forwardConnect, forwardMediaEvent, MeetingRoomRefusal, readRoomRefusal } from "./meeting-room-client.ts";

/**
 * The Worker's side of a room's refusal: whatever the room answers on an internal route (the contract's JSON, the
 * text/plain it answered before, garbage), the caller gets one of our problems and never the room's body. The
 * real room's refusal is driven through the running Worker in test/api/room-refusals.test.ts.
 */

const tenantId = TenantId.parse("0b6f7c1e-2f5a-4d3b-9c8e-1a2b3c4d5e6f");
const meetingId = MeetingId.parse("7d9e0f1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a");
const claims: VerifiedParticipant = {
  tenantId,
  meetingId,
  identity: ParticipantIdentity.parse("alice"),
  role: "host",
  tokenId: "t1",
  expiresAt: new Date("2030-01-01T00:00:00Z"),
};
const settings: MeetingRoomSettings = {
  title: "Standup",
  sfuThreshold: 5,
  locationHint: null,
  waitingRoom: false,
  maxParticipants: 10,
  scheduledEndAt: null,
  autoRecord: false,
  recordingConsent: false,
};

/** A namespace whose one room answers every internal request with `answer()`. */
function roomAnswering(answer: () => Response): DurableObjectNamespace {
  const stub = { fetch: async () => answer() };
  return { idFromName: (name: string) => name, get: () => stub } as unknown as DurableObjectNamespace;
}

const roomJson = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Each internal route the Worker calls, as a thunk that rejects with whatever the client throws. */
const calls = {
  connect: (ns: DurableObjectNamespace) =>
    forwardConnect(ns, new Request("https://x/connect", { headers: { upgrade: "websocket" } }), claims, settings),
  end: (ns: DurableObjectNamespace) => endMeetingRoom(ns, tenantId, meetingId, "ended_by_api"),
  mediaEvent: (ns: DurableObjectNamespace) =>
    forwardMediaEvent(ns, tenantId, meetingId, { kind: "sfu_room", active: true, at: "2030-01-01T00:00:00Z" }),
} as const;

async function thrownBy(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => expect.unreachable("the call should have been refused"),
    (error: unknown) => error,
  );
}

/** The API's real error handler in front of one client call, as a route would have it. */
async function problemFor(call: () => Promise<unknown>) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "req_test");
    await next();
  });
  app.onError(onError);
  app.get("/", async (c) => {
    await call();
    return c.text("unreachable");
  });
  const response = await app.request("/");
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("readRoomRefusal", () => {
  it("keeps the contract's code and detail with the room's status", async () => {
    const refusal = await readRoomRefusal("end", roomJson(409, { code: "meeting_ended", detail: "already over" })());
    expect(refusal).toMatchObject({ route: "end", status: 409, refusal: { code: "meeting_ended", detail: "already over" } });
  });

  it.each([
    ["text/plain", new Response("not found", { status: 404 })],
    ["an empty body", new Response(null, { status: 500 })],
    ["JSON off the contract", roomJson(400, { error: "bad" })()],
    ["a code too long for the contract", roomJson(400, { code: "x".repeat(65), detail: "" })()],
    ["a JSON array", roomJson(400, [{ code: "not_found", detail: "" }])()],
  ])("leaves %s without a code", async (_, response) => {
    const refusal = await readRoomRefusal("mediaEvent", response);
    expect(refusal.refusal).toBeUndefined();
    expect(refusal.status).toBe(response.status);
  });
});

describe.each(Object.keys(calls) as (keyof typeof calls)[])("the room refuses %s", (route) => {
  const call = calls[route];

  it("throws a MeetingRoomRefusal naming the route, for the contract's JSON and for bare text alike", async () => {
    const coded = await thrownBy(call(roomAnswering(roomJson(404, { code: "not_found", detail: "no such room" }))));
    expect(coded).toBeInstanceOf(MeetingRoomRefusal);
    expect(coded).toMatchObject({ route, status: 404, refusal: { code: "not_found" } });
    const bare = await thrownBy(call(roomAnswering(() => new Response("internal error", { status: 500 }))));
    expect(bare).toMatchObject({ route, status: 500, refusal: undefined });
  });

  it("a catalog code becomes that problem, with the catalog's status and the room's detail", async () => {
    const answer = await problemFor(() => call(roomAnswering(roomJson(418, { code: "meeting_ended", detail: "the host ended it" }))));
    expect(answer.status).toBe(409);
    expect(answer.type).toBe("application/problem+json");
    expect(JSON.parse(answer.text)).toMatchObject({
      code: "meeting_ended",
      status: 409,
      detail: "the host ended it",
      instance: "req_test",
    });
  });

  it.each([
    ["text/plain (never relayed)", () => new Response("internal error: at room.ts:12", { status: 500 })],
    ["a code outside the API catalog", roomJson(403, { code: "meeting_locked", detail: "locked by the host" })],
    ["a prototype key posing as a code", roomJson(400, { code: "toString", detail: "x" })],
    ["the room's own internal_error, detail and all", roomJson(500, { code: "internal_error", detail: "TypeError: x is undefined" })],
  ])("%s becomes a bare internal_error problem, logged with the room's answer", async (_, answer) => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const result = await problemFor(() => call(roomAnswering(answer)));
    expect(result.status).toBe(500);
    expect(result.type).toBe("application/problem+json");
    expect(JSON.parse(result.text)).toEqual({
      type: "urn:edge-meetings:problem:internal_error",
      code: "internal_error",
      title: "Internal error",
      status: 500,
      instance: "req_test",
    });
    expect(result.text).not.toMatch(/room\.ts|locked by|TypeError/);
    expect(JSON.parse(log.mock.calls[0]![0] as string)).toMatchObject({
      event: "request_failed",
      error: expect.stringContaining(`refused ${route}`),
    });
  });
});

describe("connect", () => {
  it("a 2xx answer without a WebSocket is a refusal too, not passed through", async () => {
    const refusal = await thrownBy(calls.connect(roomAnswering(roomJson(200, { hello: "world" }))));
    expect(refusal).toMatchObject({ route: "connect", status: 200, refusal: undefined });
  });
});
