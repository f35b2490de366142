/** Branded ids: a TenantId can't be passed where a MeetingId is expected. */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type TenantId = Brand<string, "TenantId">;
export type MeetingId = Brand<string, "MeetingId">;
export type ApiKeyId = Brand<string, "ApiKeyId">;
export type ParticipantIdentity = Brand<string, "ParticipantIdentity">;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => uuidPattern.test(value);
