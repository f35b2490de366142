import { describe, expect, it } from "vitest";
import { meetingSettingsHeader, roomRoutes, verifiedParticipantHeader } from "../../../protocol/room-contract.ts";
import { readRoomRoute } from "./room-routes.ts";

const url = (path: string) => `https://meeting-room${path}`;

async function refusal(request: Request, status: number, code: string) {
  const answer = await readRoomRoute(request);
  if (!(answer instanceof Response)) throw new Error("expected a refusal");
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await answer.json()) as { code: string; detail: string };
  expect(body).toEqual({ code, detail: expect.any(String) });
  return body;
}

describe("the room's internal routes refuse with a JSON RoomRouteError, never text", () => {
  it("an unknown route is 404 route_not_found", async () => {
    await refusal(new Request(url("/nope")), 404, "route_not_found");
  });

  it("a route that takes POST, asked with GET, is 405 method_not_allowed", async () => {
    await refusal(new Request(url(roomRoutes.end)), 405, "method_not_allowed");
  });

  it("connect without a WebSocket upgrade is 426 upgrade_required", async () => {
    await refusal(new Request(url(roomRoutes.connect)), 426, "upgrade_required");
  });

  it("a payload breaking the contract is 400 validation_failed naming the field, not its value", async () => {
    const body = await refusal(
      new Request(url(roomRoutes.end), { method: "POST", body: JSON.stringify({ reason: `${"x".repeat(65)}secret` }) }),
      400,
      "validation_failed",
    );
    expect(body.detail).toContain("reason");
    expect(body.detail).not.toContain("secret");
    const headers = { upgrade: "websocket", [verifiedParticipantHeader]: JSON.stringify({ identity: "a" }), [meetingSettingsHeader]: "{}" };
    await refusal(new Request(url(roomRoutes.connect), { headers }), 400, "validation_failed");
  });

  it("a body that is not JSON is 400 malformed_json", async () => {
    await refusal(new Request(url(roomRoutes.mediaEvent), { method: "POST", body: "{" }), 400, "malformed_json");
  });

  it("a request keeping the contract becomes a room event", async () => {
    const end = await readRoomRoute(new Request(url(roomRoutes.end), { method: "POST", body: JSON.stringify({ reason: "api" }) }));
    expect(end).toEqual({ kind: "event", event: { kind: "end", reason: "api" }, answer: { ended: true } });
  });
});
