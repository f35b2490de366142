import { and, asc, eq, sql } from "drizzle-orm";
import { webhookEndpoints } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { sqlStateOfError } from "../db/database-errors.ts";
import { newSigningSecret } from "./signing.ts";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

/** At most this many endpoints per tenant: each one multiplies every event's deliveries. */
export const maxEndpointsPerTenant = 20;

export interface EndpointFields {
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  disableAfterSeconds: number;
}

/** Seals a signing secret for storage, bound to its endpoint (crypto/secret-box.ts). */
export type SecretSealer = (endpointId: string, secret: string) => Promise<string>;

/**
 * Creates an endpoint with a fresh secret, stored sealed; answers the secret itself once. Refused when the tenant
 * already has an endpoint at this URL or is at its limit.
 */
export async function insertEndpoint(
  db: QueryDatabase,
  tenantId: string,
  fields: EndpointFields,
  seal: SecretSealer,
): Promise<{ row: WebhookEndpointRow; signingSecret: string } | { refused: "duplicate_url" | "limit" }> {
  const [{ count } = { count: 0 }] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.tenantId, tenantId));
  if (count >= maxEndpointsPerTenant) return { refused: "limit" };
  const id = crypto.randomUUID();
  const signingSecret = newSigningSecret();
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      tenantId,
      ...fields,
      signingSecret: await seal(id, signingSecret),
      disabledAt: fields.enabled ? null : new Date(),
      disabledReason: fields.enabled ? null : "tenant",
    })
    .onConflictDoNothing({ target: [webhookEndpoints.tenantId, webhookEndpoints.url] })
    .returning();
  return row ? { row, signingSecret } : { refused: "duplicate_url" };
}

export async function findEndpoint(db: QueryDatabase, tenantId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .limit(1);
  return row;
}

export async function listEndpoints(db: QueryDatabase, tenantId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.tenantId, tenantId))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
    .limit(maxEndpointsPerTenant);
}

/**
 * Applies a change. Turning an endpoint on clears why it was off and its failure clock (its waiting deliveries
 * resume); turning it off records `tenant` as the reason. Undefined if there is no such endpoint, "duplicate_url"
 * if the new URL is taken.
 */
export async function updateEndpoint(
  db: QueryDatabase,
  tenantId: string,
  id: string,
  patch: Partial<EndpointFields>,
): Promise<WebhookEndpointRow | "duplicate_url" | undefined> {
  const now = new Date();
  const switching =
    patch.enabled === undefined
      ? {}
      : patch.enabled
        ? { disabledAt: null, disabledReason: null, failingSince: null }
        : {
            disabledAt: sql`coalesce(${webhookEndpoints.disabledAt}, ${now.toISOString()}::timestamptz)`,
            disabledReason: sql`coalesce(${webhookEndpoints.disabledReason}, 'tenant')`,
          };
  try {
    const [row] = await db
      .update(webhookEndpoints)
      .set({ ...patch, ...switching, updatedAt: now })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
      .returning();
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) return "duplicate_url";
    throw error;
  }
}

/** Gives the endpoint a new secret (answered once, stored sealed); the old one keeps signing beside it for `overlapSeconds`. */
export async function rotateSecret(
  db: QueryDatabase,
  tenantId: string,
  id: string,
  overlapSeconds: number,
  seal: SecretSealer,
): Promise<{ row: WebhookEndpointRow; signingSecret: string } | undefined> {
  const now = Date.now();
  const signingSecret = newSigningSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSigningSecret: overlapSeconds > 0 ? sql`${webhookEndpoints.signingSecret}` : null,
      previousSecretExpiresAt: overlapSeconds > 0 ? new Date(now + overlapSeconds * 1000) : null,
      signingSecret: await seal(id, signingSecret),
      updatedAt: new Date(now),
    })
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .returning();
  return row ? { row, signingSecret } : undefined;
}

export async function deleteEndpoint(db: QueryDatabase, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

const isUniqueViolation = (error: unknown) => sqlStateOfError(error) === "23505";
