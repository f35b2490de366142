CREATE TYPE "public"."identity_protocol" AS ENUM('oidc', 'saml');--> statement-breakpoint
ALTER TABLE "tenant_identity_providers" ALTER COLUMN "client_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_identity_providers" ALTER COLUMN "client_secret_sealed" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_identity_providers" ADD COLUMN "protocol" "identity_protocol" DEFAULT 'oidc' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_identity_providers" ADD COLUMN "saml_sso_url" text;--> statement-breakpoint
ALTER TABLE "tenant_identity_providers" ADD COLUMN "saml_certificates" text[];