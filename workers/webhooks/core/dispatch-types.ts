import type { Settlement } from "./delivery-outcome.ts";

/** The secrets that sign an endpoint's deliveries: the current one, and during a rotation's overlap the one it replaced. */
export interface SigningSecrets {
  current: string;
  previous: string | null;
  previousExpiresAt: number | null;
}

/** What a dispatcher needs of its endpoint. */
export interface DispatchEndpoint {
  id: string;
  tenantId: string;
  url: string;
  enabled: boolean;
  secrets: SigningSecrets;
  disableAfterSeconds: number;
  failingSince: number | null;
}

/** A delivery waiting to go out, with the exact body that is signed and sent. */
export interface QueuedDelivery {
  id: string;
  laneKey: string;
  eventSeq: number;
  eventId: string;
  attempts: number;
  nextAttemptAt: number;
  body: string;
}

/** One attempt's result as the dispatcher writes it. */
export interface SettledAttempt {
  deliveryId: string;
  attempt: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  responseSnippet: string | null;
  settlement: Settlement;
}
