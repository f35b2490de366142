import { sql } from "drizzle-orm";
import { withDatabase } from "./stack.ts";

/**
 * Makes Postgres itself refuse one marked value, the way a constraint the room can't know about would: a trigger
 * raising for rows whose `column` equals a random marker. Only that marker is refused, so tests running beside
 * it are untouched. `remove` drops it again.
 */
export async function refuseInPostgres(
  table: "chat_messages" | "participants",
  column: "body" | "identity",
  marker = `poison-${crypto.randomUUID().slice(0, 8)}`,
) {
  const name = `refuse_${table}_${crypto.randomUUID().slice(0, 8)}`;
  await withDatabase(async (db) => {
    await db.execute(
      sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin
        if new.${column} = '${marker}' then raise exception 'refused by test'; end if; return new; end $$`),
    );
    await db.execute(sql.raw(`create trigger ${name} before insert or update on ${table} for each row execute function ${name}()`));
  });
  return {
    marker,
    remove: () =>
      withDatabase(async (db) => {
        await db.execute(sql.raw(`drop trigger if exists ${name} on ${table}`));
        await db.execute(sql.raw(`drop function if exists ${name}()`));
      }),
  };
}
