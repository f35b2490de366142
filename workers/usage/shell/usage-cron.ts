import { and, eq, isNull } from "drizzle-orm";
import { meetings, tenants } from "../../../schema/index.ts";
import { TenantId } from "../../../protocol/ids.ts";
import { httpDatabase } from "../../db/database.ts";
import { readConfig, type Env } from "../../env.ts";
import { describeError, logEvent } from "../../observability/log.ts";
import { reconcileTenantUsage } from "./usage-reconciler.ts";

/** The daily cron: every active tenant's storage is metered (byte-days need a look at least once a day). */
export const dailyMeteringCron = "17 3 * * *";

/**
 * The cron's metering pass. Every minute: the tenants with a live meeting, whose SFU sessions are reconciled against
 * the fleet's own lists (so a dropped webhook or a crashed node is closed out within a minute or so). Daily: every
 * active tenant, which also meters what the object store holds. One tenant's failure is logged and skips only it.
 */
export async function meterFromCron(env: Env, cron: string): Promise<number> {
  const config = readConfig(env);
  const db = httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
  const rows =
    cron === dailyMeteringCron
      ? await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.status, "active"))
      : await db
          .selectDistinct({ id: meetings.tenantId })
          .from(meetings)
          .where(and(eq(meetings.status, "live"), isNull(meetings.deletedAt)));
  for (const { id } of rows) {
    try {
      await reconcileTenantUsage(env, db, TenantId.parse(id));
    } catch (error) {
      logEvent("usage_reconcile_failed", { tenantId: id, error: describeError(error) });
    }
  }
  return rows.length;
}
