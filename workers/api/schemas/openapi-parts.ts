import { z } from "@hono/zod-openapi";
import type { ZodType } from "zod";

/** A JSON body or response of this schema, as `createRoute` wants it. */
export const json = <T>(schema: T) => ({ "application/json": { schema } });

/** Every route but the public ones takes the tenant's API key. */
export const security = [{ apiKey: [] }];

/**
 * An `{id}` path parameter parsed into a branded id in its canonical lower case, so routes get the id without a cast
 * and an upper-case spelling can't address a second resource (the meeting room's name is built from the id).
 */
export const uuidIdParam = <B extends ZodType<string, string>>(brand: B, example: string) =>
  z.object({
    id: z
      .uuid()
      .toLowerCase()
      .pipe(brand)
      .openapi({ param: { name: "id", in: "path" }, example }),
  });
