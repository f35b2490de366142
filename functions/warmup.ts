import { z } from "zod";

/**
 * The event every function answers at once, touching nothing (no database, no S3, no log of a batch): the local
 * runner (scripts/services/lambda.ts) sends it to each emulator at `up`, both to start the runtime before the first
 * real invocation and to prove the function answers. A handler checks for it before validating its own event.
 */
export const WarmupEvent = z.strictObject({ warmup: z.literal(true) });
export type WarmupEvent = z.infer<typeof WarmupEvent>;

export const warmupEvent: WarmupEvent = { warmup: true };

export const isWarmupEvent = (event: unknown): event is WarmupEvent => WarmupEvent.safeParse(event).success;

/** What a function answers to the warm-up event. */
export const warmupAnswer = { warm: true } as const;
