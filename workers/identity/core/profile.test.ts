import { describe, expect, it } from "vitest";
import { avatarKey, isOwnAvatarKey, Locale, readPreferences, TimeZone } from "./profile.ts";

const tenant = "0b0c5f0e-3d0a-4c1e-9a49-9d7f1f2b3c4d";
const user = "7d3f8a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6";

describe("profile", () => {
  it("takes IANA time zones and BCP 47 locales only", () => {
    expect(TimeZone.safeParse("Europe/Paris").success).toBe(true);
    expect(TimeZone.safeParse("America/New_York").success).toBe(true);
    expect(TimeZone.safeParse("Mars/Olympus").success).toBe(false);
    expect(Locale.safeParse("fr-FR").success).toBe(true);
    expect(Locale.safeParse("not a locale!").success).toBe(false);
  });

  it("reads stored preferences leniently: a field that no longer validates is its default", () => {
    expect(readPreferences(undefined)).toEqual({
      joinWithCameraOff: false,
      joinWithMicrophoneOff: false,
      defaultLayout: "grid",
      captionsLanguage: null,
    });
    expect(readPreferences({ joinWithCameraOff: true, defaultLayout: "mosaic", captionsLanguage: "de" })).toEqual({
      joinWithCameraOff: true,
      joinWithMicrophoneOff: false,
      defaultLayout: "grid",
      captionsLanguage: "de",
    });
  });

  it("an avatar key is the user's own upload, never another user's or tenant's object", () => {
    const own = avatarKey(tenant, user, crypto.randomUUID(), "image/png");
    expect(isOwnAvatarKey(own, tenant, user)).toBe(true);
    expect(isOwnAvatarKey(own, tenant, "11111111-1111-4111-8111-111111111111")).toBe(false);
    expect(isOwnAvatarKey(`avatars/${tenant}/${user}/../other/x.png`, tenant, user)).toBe(false);
    expect(isOwnAvatarKey(`avatars/${tenant}/${user}/${crypto.randomUUID()}.svg`, tenant, user)).toBe(false);
  });
});
