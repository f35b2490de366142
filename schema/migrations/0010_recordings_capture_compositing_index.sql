CREATE TYPE "public"."recording_rendition_kind" AS ENUM('mp4', 'webm', 'hls', 'thumbnail');--> statement-breakpoint
CREATE TYPE "public"."recording_segment_status" AS ENUM('pending', 'running', 'done', 'failed');--> statement-breakpoint
ALTER TYPE "public"."recording_status" ADD VALUE 'paused' BEFORE 'processing';--> statement-breakpoint
CREATE TABLE "recording_renditions" (
	"tenant_id" uuid NOT NULL,
	"recording_id" uuid NOT NULL,
	"kind" "recording_rendition_kind" NOT NULL,
	"object_key" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"width" integer,
	"height" integer,
	"duration_ms" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recording_renditions_recording_id_kind_object_key_pk" PRIMARY KEY("recording_id","kind","object_key")
);
--> statement-breakpoint
CREATE TABLE "recording_segments" (
	"tenant_id" uuid NOT NULL,
	"recording_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"object_key" text NOT NULL,
	"frames" integer NOT NULL,
	"status" "recording_segment_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recording_segments_recording_id_index_pk" PRIMARY KEY("recording_id","index"),
	CONSTRAINT "recording_segments_counts_ck" CHECK ("recording_segments"."index" >= 0 and "recording_segments"."frames" > 0 and "recording_segments"."attempts" >= 0)
);
--> statement-breakpoint
CREATE TABLE "tenant_recording_policies" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"retention_days" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_recording_policies_retention_ck" CHECK ("tenant_recording_policies"."retention_days" is null or "tenant_recording_policies"."retention_days" between 1 and 3650)
);
--> statement-breakpoint
ALTER TABLE "recordings" DROP CONSTRAINT "recordings_sizes_ck";--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "auto_record" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "recording_consent" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "title" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "layout" text DEFAULT 'grid' NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "started_by" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "recorder_id" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "manifest_key" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "paused_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "participant_names" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "problems" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "search" "tsvector";--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "ready_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "recording_renditions" ADD CONSTRAINT "recording_renditions_tenant_id_recording_id_recordings_tenant_id_id_fk" FOREIGN KEY ("tenant_id","recording_id") REFERENCES "public"."recordings"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recording_segments" ADD CONSTRAINT "recording_segments_tenant_id_recording_id_recordings_tenant_id_id_fk" FOREIGN KEY ("tenant_id","recording_id") REFERENCES "public"."recordings"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_recording_policies" ADD CONSTRAINT "tenant_recording_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "recordings_tenant_created_idx" ON "recordings" USING btree ("tenant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "recordings_search_idx" ON "recordings" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_one_active_uq" ON "recordings" USING btree ("tenant_id","meeting_id") WHERE "recordings"."status" not in ('processing', 'ready', 'failed');--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_sizes_ck" CHECK (coalesce("recordings"."duration_ms", 0) >= 0 and coalesce("recordings"."size_bytes", 0) >= 0 and "recordings"."paused_ms" >= 0);