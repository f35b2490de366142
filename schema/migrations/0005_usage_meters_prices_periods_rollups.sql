ALTER TYPE "public"."usage_kind" ADD VALUE 'p2p_participant_seconds';--> statement-breakpoint
ALTER TYPE "public"."usage_kind" ADD VALUE 'composited_seconds';--> statement-breakpoint
ALTER TYPE "public"."usage_kind" ADD VALUE 'storage_byte_days';--> statement-breakpoint
ALTER TYPE "public"."usage_kind" ADD VALUE 'attachment_bytes';--> statement-breakpoint
CREATE TABLE "usage_periods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"lines" jsonb NOT NULL,
	"total_minor" bigint NOT NULL,
	"closed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"meter" text NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"price_micros" bigint NOT NULL,
	"free_allowance" bigint DEFAULT 0 NOT NULL,
	"rounding" text DEFAULT 'none' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_prices_meter_ck" CHECK ("usage_prices"."meter" in ('p2p_participant_seconds', 'sfu_participant_seconds', 'recording_seconds', 'composited_seconds', 'storage_byte_days', 'attachment_bytes')),
	CONSTRAINT "usage_prices_rounding_ck" CHECK ("usage_prices"."rounding" in ('none', 'ceil_second', 'ceil_minute')),
	CONSTRAINT "usage_prices_amounts_ck" CHECK ("usage_prices"."price_micros" >= 0 and "usage_prices"."free_allowance" >= 0),
	CONSTRAINT "usage_prices_currency_ck" CHECK ("usage_prices"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "usage_rollups" (
	"tenant_id" uuid NOT NULL,
	"kind" "usage_kind" NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"records" bigint NOT NULL,
	"quantity" bigint NOT NULL,
	"ceil_second" bigint NOT NULL,
	"ceil_minute" bigint NOT NULL,
	CONSTRAINT "usage_rollups_tenant_id_hour_kind_pk" PRIMARY KEY("tenant_id","hour","kind")
);
--> statement-breakpoint
DROP INDEX "usage_records_tenant_period_idx";--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "source" text DEFAULT 'legacy' NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "adjustment_of" text;--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_prices" ADD CONSTRAINT "usage_prices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollups" ADD CONSTRAINT "usage_rollups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "usage_periods_tenant_period_uq" ON "usage_periods" USING btree ("tenant_id","period");--> statement-breakpoint
CREATE INDEX "usage_periods_tenant_range_idx" ON "usage_periods" USING btree ("tenant_id","period_start");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_prices_tenant_meter_uq" ON "usage_prices" USING btree ("tenant_id","meter") WHERE "usage_prices"."tenant_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "usage_prices_default_meter_uq" ON "usage_prices" USING btree ("meter") WHERE "usage_prices"."tenant_id" is null;--> statement-breakpoint
CREATE INDEX "usage_records_tenant_end_idx" ON "usage_records" USING btree ("tenant_id","period_end","id");--> statement-breakpoint
CREATE INDEX "usage_records_meeting_end_idx" ON "usage_records" USING btree ("tenant_id","meeting_id","period_end");--> statement-breakpoint
CREATE INDEX "usage_records_adjustment_idx" ON "usage_records" USING btree ("tenant_id","adjustment_of") WHERE "usage_records"."adjustment_of" is not null;