-- Analytics tables, each range-partitioned by day on its time column (drizzle-kit has no syntax for it, so the
-- clause is added here). The day partitions are created ahead by functions/analytics-ingest; retention drops them.
CREATE TABLE "analytics_active_participants" (
	"tenant_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"meeting_id" uuid NOT NULL,
	"participant" text NOT NULL,
	"region" text NOT NULL,
	CONSTRAINT "analytics_active_participants_tenant_id_hour_meeting_id_participant_pk" PRIMARY KEY("tenant_id","hour","meeting_id","participant")
) PARTITION BY RANGE ("hour");
--> statement-breakpoint
CREATE TABLE "analytics_batches" (
	"tenant_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"batch_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"region" text NOT NULL,
	"samples" integer NOT NULL,
	"events" integer NOT NULL,
	"sessions" integer NOT NULL,
	"rejected" integer NOT NULL,
	"dropped_samples" integer NOT NULL,
	"objects" text[] NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analytics_batches_tenant_id_created_at_batch_id_pk" PRIMARY KEY("tenant_id","created_at","batch_id")
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
CREATE TABLE "analytics_events" (
	"tenant_id" uuid NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"event_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"region" text NOT NULL,
	"participant" text NOT NULL,
	"batch_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"path" text NOT NULL,
	"outcome" text,
	"cause" text,
	"token_ms" real,
	"socket_ms" real,
	"first_media_ms" real,
	"total_ms" real,
	CONSTRAINT "analytics_events_tenant_id_received_at_event_id_pk" PRIMARY KEY("tenant_id","received_at","event_id")
) PARTITION BY RANGE ("received_at");
--> statement-breakpoint
CREATE TABLE "analytics_hourly" (
	"tenant_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"meeting_id" uuid NOT NULL,
	"region" text NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	"mos_samples" integer DEFAULT 0 NOT NULL,
	"mos_sum" double precision DEFAULT 0 NOT NULL,
	"mos_band_1" integer DEFAULT 0 NOT NULL,
	"mos_band_2" integer DEFAULT 0 NOT NULL,
	"mos_band_3" integer DEFAULT 0 NOT NULL,
	"mos_band_4" integer DEFAULT 0 NOT NULL,
	"mos_band_5" integer DEFAULT 0 NOT NULL,
	"rtt_samples" integer DEFAULT 0 NOT NULL,
	"rtt_sum_ms" double precision DEFAULT 0 NOT NULL,
	"jitter_samples" integer DEFAULT 0 NOT NULL,
	"jitter_sum_ms" double precision DEFAULT 0 NOT NULL,
	"packets" bigint DEFAULT 0 NOT NULL,
	"packets_lost" bigint DEFAULT 0 NOT NULL,
	"connection_attempts" integer DEFAULT 0 NOT NULL,
	"connections_joined" integer DEFAULT 0 NOT NULL,
	"join_timings" integer DEFAULT 0 NOT NULL,
	"join_ms_sum" double precision DEFAULT 0 NOT NULL,
	"drops" integer DEFAULT 0 NOT NULL,
	"sessions" integer DEFAULT 0 NOT NULL,
	"participant_seconds" double precision DEFAULT 0 NOT NULL,
	"samples_dropped" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_hourly_tenant_id_hour_meeting_id_region_pk" PRIMARY KEY("tenant_id","hour","meeting_id","region")
) PARTITION BY RANGE ("hour");
--> statement-breakpoint
CREATE TABLE "analytics_samples" (
	"tenant_id" uuid NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"sample_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"region" text NOT NULL,
	"participant" text NOT NULL,
	"batch_id" uuid NOT NULL,
	"path" text NOT NULL,
	"candidate_type" text,
	"sfu_quality" text,
	"mos" real,
	"quality" text,
	"window_ms" integer NOT NULL,
	"rtt_ms" real,
	"jitter_ms" real,
	"packets" bigint NOT NULL,
	"packets_lost" bigint NOT NULL,
	"inbound_kbps" real,
	"outbound_kbps" real,
	"frames_dropped" integer,
	"tracks" smallint NOT NULL,
	CONSTRAINT "analytics_samples_tenant_id_received_at_sample_id_pk" PRIMARY KEY("tenant_id","received_at","sample_id")
) PARTITION BY RANGE ("received_at");
--> statement-breakpoint
CREATE TABLE "analytics_sessions" (
	"tenant_id" uuid NOT NULL,
	"left_at" timestamp with time zone NOT NULL,
	"session_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"region" text NOT NULL,
	"participant" text NOT NULL,
	"batch_id" uuid NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	CONSTRAINT "analytics_sessions_tenant_id_left_at_session_id_pk" PRIMARY KEY("tenant_id","left_at","session_id")
) PARTITION BY RANGE ("left_at");
