import type { Hook } from "@hono/zod-openapi";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../app-env.ts";

/** zod failures on any request part become one `validation_failed` problem listing every issue. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
  const part = result.target === "json" ? "body" : result.target;
  throw new ApiError("validation_failed", `The request ${part} is invalid`, issues);
};
