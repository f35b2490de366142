/**
 * Typed, structured log events (one JSON line each). Callers pass fields explicitly; nothing here
 * serialises whole requests, env or headers, so secrets can't slip in by accident.
 */
export type LogEventName =
  | "request_failed"
  | "dependency_probe_failed"
  | "meeting_room_error"
  /** A room's outbox set a record aside after Postgres kept refusing it (fields: outbox, meetingId, recordKey, attempts, errorClass). */
  | "outbox_dead_lettered"
  /** An entry read back from a room's storage failed its schema and was left out (fields: meetingId?, key). */
  | "room_storage_corrupt"
  | "room_storage_write_failed"
  /** A webhook dispatcher could not be woken after its deliveries were recorded (fields: endpointId, error). */
  | "webhook_poke_failed"
  /** A webhook dispatcher's own work failed (fields: endpointId, where, error). */
  | "webhook_dispatcher_error"
  /** A delivery ran out of attempts and was dead-lettered (fields: endpointId, deliveryId, attempts). */
  | "webhook_delivery_dead"
  /** The cron's metering pass failed for one tenant and went on with the others (fields: tenantId, error). */
  | "usage_reconcile_failed"
  /** An endpoint was disabled (fields: endpointId, reason). */
  | "webhook_endpoint_disabled"
  /** The analytics function stored a room's batch but refused some of its records (fields: meetingId, batchId, rejected). */
  | "analytics_records_rejected"
  /** A room set an analytics batch aside: refused whole, or failing while others were stored (fields: meetingId, batchId, failures, reason). */
  | "analytics_batch_dead"
  /** The cron could not hand a recording stuck in processing to the compositor again (fields: tenantId, recordingId, error). */
  | "recording_recompose_failed"
  /** The retention job could not delete an expired recording (fields: tenantId, recordingId, error). */
  | "recording_retention_failed"
  /** A live room could not be told that one of its recordings is ready (fields: recordingId, error). */
  | "recording_ready_notice_failed";

export function logEvent(event: LogEventName, fields: Record<string, string | number | boolean | undefined>): void {
  console.log(JSON.stringify({ event, at: new Date().toISOString(), ...fields }));
}

/**
 * An error as one log field. Drizzle's query errors repeat the statement and its parameters (chat text,
 * names, tokens' ids): only their cause is kept.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if ("query" in error) {
    // Without an Error cause (a socket event), the wrapper's own message is all that is left, and it holds the parameters.
    return error.cause instanceof Error ? `query failed: ${error.cause.name}: ${error.cause.message}` : "query failed: connection error";
  }
  return `${error.name}: ${error.message}`;
}
