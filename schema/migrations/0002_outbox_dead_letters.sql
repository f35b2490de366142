CREATE TABLE "outbox_dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"outbox" text NOT NULL,
	"record_key" text NOT NULL,
	"attempts" integer NOT NULL,
	"error_class" text NOT NULL,
	"payload" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "outbox_dead_letters_outbox_ck" CHECK ("outbox_dead_letters"."outbox" in ('chat', 'records'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_dead_letters_tenant_id_uq" ON "outbox_dead_letters" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_dead_letters_record_uq" ON "outbox_dead_letters" USING btree ("tenant_id","meeting_id","outbox","record_key");--> statement-breakpoint
CREATE INDEX "outbox_dead_letters_unresolved_idx" ON "outbox_dead_letters" USING btree ("created_at") WHERE "outbox_dead_letters"."resolved_at" is null;