import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { postgresService } from "../../scripts/services/postgres.ts";
import { s3Service } from "../../scripts/services/s3.ts";
import { makeBatch } from "../support/analytics-batches.ts";
import { type Ingested, ingestionHarness } from "../support/analytics-ingest.ts";

let h: Awaited<ReturnType<typeof ingestionHarness>>;
beforeAll(async () => {
  h = await ingestionHarness();
});
afterAll(async () => {
  // Leave the stack as the other suites expect it, whatever happened above.
  const secrets = await loadOrCreateSecrets();
  await postgresService.up(secrets);
  await s3Service.up(secrets);
  await h.close();
});

describe("analytics ingestion when Postgres or S3 is away", () => {
  it("Postgres down: the invocation fails (the room retries); the retry after it is back stores the batch once", async () => {
    const batch = makeBatch({ samples: 200, events: 10, sessions: 3, droppedSamples: 2, seed: 21 });
    // A connection the function already holds must fail too, not only a new one.
    expect(((await h.invoke(makeBatch({ samples: 1, seed: 22 }))).payload as Ingested).ok).toBe(true);
    await postgresService.down();
    const failed = await h.invoke(batch);
    expect(failed.functionError).toBe("Unhandled");
    await postgresService.up(await loadOrCreateSecrets());

    const retried = await h.invoke(batch);
    expect(retried.functionError).toBeUndefined();
    expect(retried.payload).toMatchObject({ ok: true, stored: { samples: 200, events: 10, sessions: 3 }, duplicates: 0 });
    const again = await h.invoke(batch, 1);
    expect(again.payload).toMatchObject({ ok: true, stored: { samples: 0, events: 0, sessions: 0 }, duplicates: 213 });
    const state = await h.state(batch.tenantId);
    expect([state.samples.n, state.hourly.samples, state.hourly.dropped, state.ledger.length]).toEqual([200, 200, 2, 1]);
  });

  it("S3 down after the commit: the invocation fails, and the retry writes the Parquet of exactly the samples Postgres counted", async () => {
    const batch = makeBatch({ samples: 50, seed: 23 });
    await s3Service.down();
    const failed = await h.invoke(batch);
    expect(failed.functionError).toBe("Unhandled");
    await s3Service.up(await loadOrCreateSecrets());
    // Postgres has the batch already; nothing is in S3 for it yet.
    const committed = await h.state(batch.tenantId);
    expect([committed.samples.n, committed.hourly.samples, committed.objects.length]).toEqual([50, 50, 0]);

    const retried = (await h.invoke(batch)).payload as Ingested;
    expect(retried).toMatchObject({ ok: true, stored: { samples: 0 }, duplicates: 50 });
    const state = await h.state(batch.tenantId);
    expect(state.objects).toEqual(retried.objects);
    expect(state.ledger[0]!.objects).toEqual(retried.objects);
    expect(state.hourly.samples).toBe(50);
    const dir = await h.download(state.objects);
    try {
      const [counts] = await h.query(`SELECT count(DISTINCT sample_id) AS samples FROM ${h.parquet(dir)}`);
      expect(counts).toEqual({ samples: 50 });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
