import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../app-env.ts";
import { ApiKeyError, JoinTokenError } from "../../auth/errors.ts";
import { ApiError, type ErrorCode } from "../errors.ts";
import { onError, problemResponse, toApiError } from "./problem.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("toApiError", () => {
  it("passes an ApiError through unchanged", () => {
    const error = new ApiError("meeting_ended", "Ended at noon");
    expect(toApiError(error)).toBe(error);
  });

  it("maps Hono's malformed JSON 400 to malformed_json", () => {
    const mapped = toApiError(new HTTPException(400, { message: "Malformed JSON in request body" }));
    expect(mapped).toMatchObject({ code: "malformed_json", status: 400 });
  });

  it("maps any other 400 to validation_failed", () => {
    expect(toApiError(new HTTPException(400, { message: "Bad form" })).code).toBe("validation_failed");
  });

  it("maps the body-limit 413 to payload_too_large", () => {
    const res = new Response("Payload Too Large", { status: 413 });
    expect(toApiError(new HTTPException(413, { res }))).toMatchObject({ code: "payload_too_large", status: 413 });
  });

  it.each<[number, ErrorCode]>([
    [401, "unauthorized"],
    [404, "not_found"],
    [405, "method_not_allowed"],
    [415, "unsupported_media_type"],
  ])("maps HTTPException %i to %s", (status, code) => {
    expect(toApiError(new HTTPException(status as 401)).code).toBe(code);
  });

  it("maps the auth area's refusals to their own codes, keeping an API key's detail", () => {
    expect(toApiError(new ApiKeyError("invalid_api_key", "The API key is malformed"))).toMatchObject({
      code: "invalid_api_key",
      status: 401,
      detail: "The API key is malformed",
    });
    expect(toApiError(new JoinTokenError("join_token_expired"))).toMatchObject({
      code: "join_token_expired",
      status: 401,
      detail: undefined,
    });
    expect(toApiError(new JoinTokenError("invalid_join_token")).code).toBe("invalid_join_token");
  });

  it("maps an HTTPException with an unmapped status to internal_error", () => {
    expect(toApiError(new HTTPException(418)).code).toBe("internal_error");
  });

  it.each([
    ["an Error", new Error("postgres://user:secret@host")],
    ["a TypeError", new TypeError("x is undefined")],
    ["a string", "boom"],
    ["undefined", undefined],
  ])("maps %s to internal_error without keeping its message", (_, thrown) => {
    const mapped = toApiError(thrown);
    expect(mapped).toMatchObject({ code: "internal_error", status: 500 });
    expect(mapped.message).toBe("Internal error");
  });
});

/** A bare Hono app wired like the real one: a request id and the shared error handler. */
function appThrowing(thrown: unknown) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "req_test");
    await next();
  });
  app.onError(onError);
  app.get("/boom", () => {
    throw thrown;
  });
  app.get("/problem", (c) => problemResponse(c, new ApiError("validation_failed", "Bad body", [{ path: "title", message: "Required" }])));
  return app;
}

describe("onError / problemResponse", () => {
  it("renders an ApiError as application/problem+json with type, code, title, status, detail and instance", async () => {
    const res = await appThrowing(new ApiError("meeting_ended", "Ended at noon")).request("/boom");
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-request-id")).toBe("req_test");
    expect(await res.json()).toEqual({
      type: "urn:edge-meetings:problem:meeting_ended",
      code: "meeting_ended",
      title: "Meeting has ended",
      status: 409,
      detail: "Ended at noon",
      instance: "req_test",
    });
  });

  it("includes validation issues when there are some", async () => {
    const res = await appThrowing(undefined).request("/problem");
    expect(await res.json()).toMatchObject({ code: "validation_failed", issues: [{ path: "title", message: "Required" }] });
  });

  it("asks for a Bearer credential on 401", async () => {
    const res = await appThrowing(new ApiError("unauthorized")).request("/boom");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-meetings"');
  });

  it("answers an unexpected error with a bare 500 that leaks neither message nor stack, and logs it server-side", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const res = await appThrowing(new Error("connect postgres://user:secret@db.internal")).request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret");
    expect(text).not.toMatch(/\bat .*\.ts:\d+/);
    expect(JSON.parse(text)).toEqual({
      type: "urn:edge-meetings:problem:internal_error",
      code: "internal_error",
      title: "Internal error",
      status: 500,
      instance: "req_test",
    });
    expect(log).toHaveBeenCalledOnce();
    expect(JSON.parse(log.mock.calls[0]![0] as string)).toMatchObject({ event: "request_failed", requestId: "req_test", path: "/boom" });
  });

  it("does not log expected client errors", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    await appThrowing(new ApiError("forbidden")).request("/boom");
    expect(log).not.toHaveBeenCalled();
  });
});
