import { drizzle } from "drizzle-orm/neon-serverless";
import * as schema from "../schema/index.ts";
import { databaseUrl, loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { createNodePool } from "../scripts/lib/neon-node.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { findActiveApiKey } from "../workers/auth/api-key-repository.ts";
import { hashApiKey } from "../workers/auth/api-key.ts";
import { findMeeting } from "../workers/meetings/meeting-repository.ts";
import { MeetingId, TenantId } from "../protocol/ids.ts";
import { formatRow, runBounded, summarize } from "./latency-stats.ts";

/**
 * The authenticated read path, GET /v1/meetings/{id} through workerd, against a baseline of the same two
 * queries (key lookup + meeting read) issued from Node over one warm pool through the same proxy.
 * The ratio is what the edge request path costs on top of the database work itself. Then the token mint
 * (POST /v1/meetings/{id}/tokens: key, meeting read, ES256 signature), whose p50 is compared with the read's.
 */
export async function benchApiReadPath(options = { requests: 600, concurrency: 4 }): Promise<void> {
  const url = databaseUrl(await loadOrCreateSecrets());
  const tenant = await provisionTenant(url, "bench read path");
  const created = await fetch(`${workerUrl}/v1/meetings`, {
    method: "POST",
    headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ title: "bench" }),
  });
  const meetingId = ((await created.json()) as { id: string }).id;

  const readMeeting = async () => {
    const response = await fetch(`${workerUrl}/v1/meetings/${meetingId}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    if (response.status !== 200) throw new Error(`worker answered ${response.status}`);
    await response.arrayBuffer();
  };

  const pool = createNodePool(url);
  const db = drizzle(pool, { schema });
  const keyHash = await hashApiKey(tenant.apiKey);
  try {
    // Warm both paths so neither pays first-connection costs inside the measurement.
    for (let i = 0; i < 20; i++) await findMeeting(db, TenantId.parse(tenant.tenantId), MeetingId.parse(meetingId));
    for (let i = 0; i < 20; i++) await readMeeting();
    const baseline = await runBounded(options.requests, options.concurrency, async () => {
      const key = await findActiveApiKey(db, keyHash);
      if (!(await findMeeting(db, key!.tenantId, MeetingId.parse(meetingId)))) throw new Error("baseline read failed");
    });
    const edge = await runBounded(options.requests, options.concurrency, readMeeting);
    const minted = await runBounded(options.requests, options.concurrency, async () => {
      const response = await fetch(`${workerUrl}/v1/meetings/${meetingId}/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ identity: "bench-user", role: "participant" }),
      });
      if (response.status !== 201) throw new Error(`worker answered ${response.status} to a token mint`);
      await response.arrayBuffer();
    });
    const base = summarize(baseline.samples, baseline.wallMs);
    const ours = summarize(edge.samples, edge.wallMs);
    const mint = summarize(minted.samples, minted.wallMs);
    console.log(`\nAuthenticated meeting read (${options.requests} requests, concurrency ${options.concurrency}, loopback)`);
    console.log(formatRow("baseline: key lookup + read, warm Node pool", base));
    console.log(formatRow("ours: GET /v1/meetings/{id} via workerd", ours));
    console.log(
      `ratio (ours / baseline): throughput ${(ours.perSecond / base.perSecond).toFixed(2)}x, p50 latency ${(ours.p50 / base.p50).toFixed(2)}x`,
    );
    console.log(formatRow("ours: POST /v1/meetings/{id}/tokens", mint));
    console.log(`ratio (token mint / read): p50 latency ${(mint.p50 / ours.p50).toFixed(2)}x`);
  } finally {
    await pool.end();
  }
}
