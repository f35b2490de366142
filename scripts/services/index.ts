import type { LocalSecrets } from "../lib/local-config.ts";
import { lambdaService } from "./lambda.ts";
import type { LocalService } from "./local-service.ts";
import { livekitBService, livekitService } from "./livekit.ts";
import { migrationsService } from "./migrations.ts";
import { oidcService } from "./oidc.ts";
import { postgresService } from "./postgres.ts";
import { recorderService } from "./recorder.ts";
import { redisService } from "./redis.ts";
import { samlIdpService } from "./saml-idp.ts";
import { s3Service } from "./s3.ts";
import { turnService } from "./turn.ts";
import { workerService } from "./worker.ts";

/**
 * Start order matters for dependents: Redis before the LiveKit nodes (one cluster through it), Postgres before
 * migrations, S3 and migrations before the Lambdas (they write both), the LiveKit nodes and S3 before the track
 * recorders (they join rooms and upload), all before the Worker (it invokes the Lambdas, drives the recorders and
 * signs people in through the local OpenID and SAML providers).
 */
export const localServices: LocalService[] = [
  postgresService,
  redisService,
  s3Service,
  turnService,
  livekitService,
  livekitBService,
  migrationsService,
  lambdaService,
  recorderService,
  oidcService,
  samlIdpService,
  workerService,
];

export function selectServices(only?: string[]): LocalService[] {
  if (!only?.length) return localServices;
  const unknown = only.filter((name) => !localServices.some((s) => s.name === name));
  if (unknown.length) throw new Error(`unknown services: ${unknown.join(", ")}`);
  return localServices.filter((s) => only.includes(s.name));
}

export async function servicesUp(secrets: LocalSecrets, only?: string[]): Promise<Map<string, string>> {
  const described = new Map<string, string>();
  for (const service of selectServices(only)) described.set(service.name, await service.up(secrets));
  return described;
}

export async function servicesDown(only?: string[]): Promise<void> {
  for (const service of selectServices(only).reverse()) await service.down();
}
