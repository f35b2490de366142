-- Usage: time records count milliseconds (older SFU rows counted whole seconds), hourly rollups kept by an insert
-- trigger, late records for a closed period marked as its adjustments, and the default price table.
UPDATE "usage_records" SET "quantity" = round(extract(epoch from ("period_end" - "period_start")) * 1000)::bigint
  WHERE "kind"::text IN ('participant_seconds', 'sfu_participant_seconds', 'recording_seconds');
--> statement-breakpoint
INSERT INTO "usage_rollups" ("tenant_id", "kind", "hour", "records", "quantity", "ceil_second", "ceil_minute")
  SELECT "tenant_id", "kind", date_trunc('hour', "period_end", 'UTC'), count(*), sum("quantity"),
    sum(CASE WHEN "kind"::text LIKE '%_seconds' THEN ("quantity" + 999) / 1000 * 1000 ELSE "quantity" END),
    sum(CASE WHEN "kind"::text LIKE '%_seconds' THEN ("quantity" + 59999) / 60000 * 60000 ELSE "quantity" END)
  FROM "usage_records" GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "usage_records_after_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A period close holds this lock exclusively while it freezes a tenant's numbers: a record inserted meanwhile
  -- waits here, then sees the closed period and becomes its adjustment; a close that starts later waits for this
  -- transaction and counts the record. Either way no record is in neither.
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('usage_period:' || t."tenant_id"::text, 0))
    FROM (SELECT DISTINCT "tenant_id" FROM new_rows ORDER BY "tenant_id") t;
  UPDATE "usage_records" r SET "adjustment_of" = p."period"
    FROM new_rows n JOIN "usage_periods" p
      ON p."tenant_id" = n."tenant_id" AND n."period_end" >= p."period_start" AND n."period_end" < p."period_end"
    WHERE r."id" = n."id";
  INSERT INTO "usage_rollups" AS u ("tenant_id", "kind", "hour", "records", "quantity", "ceil_second", "ceil_minute")
    SELECT "tenant_id", "kind", date_trunc('hour', "period_end", 'UTC'), count(*), sum("quantity"),
      sum(CASE WHEN "kind"::text LIKE '%_seconds' THEN ("quantity" + 999) / 1000 * 1000 ELSE "quantity" END),
      sum(CASE WHEN "kind"::text LIKE '%_seconds' THEN ("quantity" + 59999) / 60000 * 60000 ELSE "quantity" END)
    FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT ("tenant_id", "hour", "kind") DO UPDATE SET
      "records" = u."records" + excluded."records",
      "quantity" = u."quantity" + excluded."quantity",
      "ceil_second" = u."ceil_second" + excluded."ceil_second",
      "ceil_minute" = u."ceil_minute" + excluded."ceil_minute";
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "usage_records_rollup" AFTER INSERT ON "usage_records"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "usage_records_after_insert"();
--> statement-breakpoint
-- The default price table (USD; price_micros are millionths of a cent per minute / GiB-day / GiB).
INSERT INTO "usage_prices" ("tenant_id", "meter", "currency", "price_micros", "free_allowance", "rounding") VALUES
  (NULL, 'p2p_participant_seconds', 'USD', 10000, 600000000, 'ceil_second'),
  (NULL, 'sfu_participant_seconds', 'USD', 50000, 3600000, 'ceil_minute'),
  (NULL, 'recording_seconds', 'USD', 150000, 0, 'ceil_second'),
  (NULL, 'composited_seconds', 'USD', 400000, 0, 'ceil_second'),
  (NULL, 'storage_byte_days', 'USD', 76667, 0, 'none'),
  (NULL, 'attachment_bytes', 'USD', 1000000, 0, 'none')
  ON CONFLICT DO NOTHING;
