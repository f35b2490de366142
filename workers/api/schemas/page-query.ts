import { z } from "@hono/zod-openapi";

/** The keyset-page query fields every listing takes: `limit` (1–100, default 25) and the opaque `cursor` it answered. */
export const pageQueryFields = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(25)
    .openapi({ param: { name: "limit", in: "query" } }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
};
