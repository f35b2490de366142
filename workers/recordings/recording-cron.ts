import { recordingPrefix } from "../../protocol/recording-composition.ts";
import { TenantId } from "../../protocol/ids.ts";
import { httpDatabase } from "../db/database.ts";
import { readConfig, type Env } from "../env.ts";
import { describeError, logEvent } from "../observability/log.ts";
import { composeInvoker } from "./compose-invoker.ts";
import { deleteRecordingObjects } from "./recording-objects.ts";
import { deleteRecordingRow, expiredRecordings, staleProcessing } from "./recording-repository.ts";

/** A recording still `processing` this long after it stopped gets its compositing asked for again. */
export const composeRetryAfterMs = 20 * 60_000;
const batch = 50;

/**
 * The recording side of the crons. Every run: recordings stuck in `processing` (the asynchronous invocation and
 * Lambda's own retries all failed, or the report never came) are handed to the compositor again, which skips the
 * segments it already finished. Daily: recordings past their tenant's retention are deleted, objects first. One
 * recording's failure is logged and skips only it.
 */
export async function recordingCron(env: Env, daily: boolean, now = new Date()): Promise<{ recomposed: number; expired: number }> {
  const config = readConfig(env);
  const db = httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
  let recomposed = 0;
  let expired = 0;
  const compose = composeInvoker(config);
  if (compose) {
    for (const row of await staleProcessing(db, new Date(now.getTime() - composeRetryAfterMs), batch)) {
      if (!row.manifestKey) continue;
      try {
        await compose.compose({
          kind: "compose",
          tenantId: TenantId.parse(row.tenantId),
          recordingId: row.id,
          manifestKey: row.manifestKey,
        });
        recomposed++;
      } catch (error) {
        logEvent("recording_recompose_failed", { tenantId: row.tenantId, recordingId: row.id, error: describeError(error) });
      }
    }
  }
  if (daily) {
    for (const row of await expiredRecordings(db, now, batch)) {
      try {
        await deleteRecordingObjects(config, recordingPrefix(row.tenantId, row.id));
        if (await deleteRecordingRow(db, row.tenantId, row.id)) expired++;
      } catch (error) {
        logEvent("recording_retention_failed", { tenantId: row.tenantId, recordingId: row.id, error: describeError(error) });
      }
    }
  }
  return { recomposed, expired };
}
