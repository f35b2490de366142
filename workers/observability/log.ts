/**
 * Typed, structured log events (one JSON line each). Callers pass fields explicitly; nothing here
 * serialises whole requests, env or headers, so secrets can't slip in by accident.
 */
export type LogEventName = "request_failed" | "dependency_probe_failed" | "meeting_room_error";

export function logEvent(event: LogEventName, fields: Record<string, string | number | boolean | undefined>): void {
  console.log(JSON.stringify({ event, at: new Date().toISOString(), ...fields }));
}
