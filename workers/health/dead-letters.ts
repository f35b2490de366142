import { count, isNull } from "drizzle-orm";
import { outboxDeadLetters } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";

/**
 * Records meeting rooms' outboxes set aside because Postgres kept refusing them, not yet resolved by an operator.
 * Shown on /healthz: non-zero means chat or billing records are waiting in `outbox_dead_letters` for a look.
 */
export async function unresolvedDeadLetters(db: QueryDatabase): Promise<number> {
  const [row] = await db.select({ n: count() }).from(outboxDeadLetters).where(isNull(outboxDeadLetters.resolvedAt));
  return row?.n ?? 0;
}
