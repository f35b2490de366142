DROP INDEX "webhook_deliveries_lane_idx";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "shard" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_shard_lane_idx" ON "webhook_deliveries" USING btree ("endpoint_id","shard","lane_key","event_seq") WHERE "webhook_deliveries"."status" in ('pending', 'failed');