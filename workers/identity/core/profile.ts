import { z } from "zod";

/**
 * A signed-in person's profile and preferences (GET and PATCH /v1/me): what the meeting page prefills its join form
 * with. Pure: the schemas and the avatar rules.
 */
const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const isLocale = (tag: string) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
};

export const TimeZone = z.string().max(64).refine(isTimeZone, "an IANA time zone such as Europe/Paris");
export const Locale = z.string().max(35).refine(isLocale, "a BCP 47 language tag such as fr-FR");

const preferenceFields = {
  joinWithCameraOff: z.boolean(),
  joinWithMicrophoneOff: z.boolean(),
  defaultLayout: z.enum(["grid", "speaker"]),
  captionsLanguage: Locale.nullable(),
};

export const Preferences = z
  .object({
    joinWithCameraOff: preferenceFields.joinWithCameraOff.default(false),
    joinWithMicrophoneOff: preferenceFields.joinWithMicrophoneOff.default(false),
    defaultLayout: preferenceFields.defaultLayout.default("grid"),
    captionsLanguage: preferenceFields.captionsLanguage.default(null),
  })
  .strict();

/** A change to some preferences: what is not named stays as it is (no defaults here). */
export const PreferencesPatch = z.object(preferenceFields).partial().strict();
export type Preferences = z.infer<typeof Preferences>;

/** Stored preferences read leniently: a field that no longer validates falls back to its default, never an error. */
export function readPreferences(stored: unknown): Preferences {
  const fields = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
  const shape = Preferences.shape;
  const read = <K extends keyof Preferences>(key: K): Preferences[K] => {
    const parsed = shape[key].safeParse(fields[key]);
    return (parsed.success ? parsed.data : shape[key].parse(undefined)) as Preferences[K];
  };
  return {
    joinWithCameraOff: read("joinWithCameraOff"),
    joinWithMicrophoneOff: read("joinWithMicrophoneOff"),
    defaultLayout: read("defaultLayout"),
    captionsLanguage: read("captionsLanguage"),
  };
}

export const avatarRules = { maxBytes: 2 * 1024 * 1024, types: { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" } } as const;
export const AvatarType = z.enum(Object.keys(avatarRules.types) as [keyof typeof avatarRules.types, ...(keyof typeof avatarRules.types)[]]);
export type AvatarType = z.infer<typeof AvatarType>;

export const avatarPrefix = (tenantId: string, userId: string) => `avatars/${tenantId}/${userId}/`;
export const avatarKey = (tenantId: string, userId: string, id: string, type: AvatarType) =>
  `${avatarPrefix(tenantId, userId)}${id}.${avatarRules.types[type]}`;

/** Whether a key the browser names is one this user's upload could have produced (never another user's object). */
export function isOwnAvatarKey(key: string, tenantId: string, userId: string): boolean {
  const prefix = avatarPrefix(tenantId, userId);
  if (!key.startsWith(prefix)) return false;
  return /^[0-9a-f-]{36}\.(png|jpg|webp)$/.test(key.slice(prefix.length));
}
