/**
 * Object keys of chat attachments: `<tenant>/<meeting>/attachments/<uuid>/<safe name>`. The room hands out
 * download URLs only for keys of its own meeting, and accepts messages only with such keys, so a client
 * can't turn a guessed key of another meeting (or tenant) into a readable link.
 */
export function attachmentObjectKey(scope: { tenantId: string; meetingId: string }, id: string, name: string): string {
  const safeName = name.replace(/[^\w.-]+/g, "_").slice(0, 100) || "file";
  return `${scope.tenantId}/${scope.meetingId}/attachments/${id}/${safeName}`;
}

const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** Whether `objectKey` has exactly the shape the room issues for this meeting. */
function isMeetingAttachment(objectKey: string, meetingId: string): boolean {
  const escapedMeeting = meetingId.replace(/[^\w-]/g, "\\$&");
  return new RegExp(`^${uuid}/${escapedMeeting}/attachments/${uuid}/[\\w.-]{1,100}$`).test(objectKey);
}

export function isTenantAttachment(objectKey: string, tenantId: string, meetingId: string): boolean {
  return objectKey.startsWith(`${tenantId}/${meetingId}/attachments/`) && isMeetingAttachment(objectKey, meetingId);
}
