import { describe, expect, it } from "vitest";
import { authErrorCodes } from "../auth/errors.ts";
import { ApiError, errorCatalog, isErrorCode, problemType, type ErrorCode } from "./errors.ts";

const codes = Object.keys(errorCatalog) as ErrorCode[];

describe("ApiError", () => {
  it.each(codes)("%s carries the status fixed in the catalog", (code) => {
    expect(new ApiError(code).status).toBe(errorCatalog[code].status);
  });

  it("uses the catalog title as its message when no detail is given", () => {
    const error = new ApiError("meeting_ended");
    expect(error.message).toBe("Meeting has ended");
    expect(error.detail).toBeUndefined();
  });

  it("uses the detail as its message and keeps validation issues", () => {
    const issues = [{ path: "title", message: "Required" }];
    const error = new ApiError("validation_failed", "The request body is invalid", issues);
    expect(error).toMatchObject({ code: "validation_failed", status: 400, message: "The request body is invalid", issues });
  });

  it("is an Error named ApiError", () => {
    const error = new ApiError("forbidden");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ApiError");
  });
});

describe("errorCatalog", () => {
  it("maps every code to an HTTP error status and a title", () => {
    for (const code of codes) {
      const { status, title } = errorCatalog[code];
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(title.length).toBeGreaterThan(0);
    }
  });

  it("uses snake_case codes users can switch on", () => {
    for (const code of codes) expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
  });

  it("holds every auth code, as 401", () => {
    for (const code of authErrorCodes) expect(errorCatalog[code].status).toBe(401);
  });
});

describe("isErrorCode", () => {
  it("knows the catalog's codes and nothing else, prototype keys included", () => {
    for (const code of codes) expect(isErrorCode(code)).toBe(true);
    for (const other of ["meeting_locked", "toString", "__proto__", "constructor", "", "NOT_FOUND"]) expect(isErrorCode(other)).toBe(false);
  });
});

describe("problemType", () => {
  it("gives each code its own URN", () => {
    expect(problemType("meeting_ended")).toBe("urn:edge-meetings:problem:meeting_ended");
    expect(new Set(codes.map(problemType)).size).toBe(codes.length);
  });
});
