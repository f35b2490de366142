import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:edge-meetings:problem:not_found" }),
    code: z.string().openapi({ example: "not_found" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    instance: z.string().optional().openapi({ description: "Request id, also sent as X-Request-Id" }),
  })
  .openapi("Problem");

/** The problem responses every authenticated route can return, for the OpenAPI document. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: `Problem (${status})`, content: { "application/problem+json": { schema: ProblemSchema } } },
    ]),
  );
