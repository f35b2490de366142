import { z } from "zod";

/**
 * Where a client connects from, as Cloudflare's `request.cf` says it (or a region it asked for): the first joiner's
 * hint decides where a meeting's media is placed. Every field is optional; an empty hint ranks regions by default.
 */
export const LocationHint = z.object({
  /** A region id the client asked for (e.g. from its own latency probe); ignored unless the fleet has it. */
  regionId: z.string().max(64).optional(),
  /** ISO 3166-1 alpha-2. */
  country: z.string().max(8).optional(),
  continent: z.string().max(8).optional(),
  latitude: z.union([z.number(), z.string().max(32)]).optional(),
  longitude: z.union([z.number(), z.string().max(32)]).optional(),
  /** The Cloudflare data center (IATA code). */
  colo: z.string().max(8).optional(),
});
export type LocationHint = z.infer<typeof LocationHint>;

/** The fields of `request.cf` that make a hint. */
export const cfLocationFields = ["country", "continent", "latitude", "longitude", "colo"] as const;
