import { z } from "zod";
import { h } from "./element-builder.ts";

/** The signed-in person, as GET /v1/me tells the page (the session cookie rides along on same-origin requests). */
const signedInSchema = z.object({
  email: z.string(),
  displayName: z.string().nullable(),
  role: z.string(),
  /** IANA zone and BCP 47 locale from the profile: the schedule form's default zone, how times are written. */
  timeZone: z.string().nullable(),
  locale: z.string().nullable(),
  csrfToken: z.string(),
  preferences: z.object({ joinWithCameraOff: z.boolean(), joinWithMicrophoneOff: z.boolean() }),
});
export type SignedIn = z.infer<typeof signedInSchema>;

/** Who is signed in on this origin, or null (no session, or it expired). */
export async function readSignedIn(): Promise<SignedIn | null> {
  try {
    const response = await fetch("/v1/me", { credentials: "same-origin" });
    if (!response.ok) return null;
    const parsed = signedInSchema.safeParse(await response.json());
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The start screen's sign-in line: who is signed in (and a sign-out), or a sign-in link through the tenant's
 * identity provider when the address names the tenant (`#tenant=<id>`), coming back to this page.
 */
export function createSignInPanel(signedIn: SignedIn | null, tenantId: string | null, onSignedOut: () => void): HTMLElement | null {
  if (signedIn) {
    const signOut = h(
      "button",
      {
        class: "button secondary",
        testid: "sign-out-button",
        attrs: { type: "button" },
        onclick: () =>
          void fetch("/v1/auth/logout", {
            method: "POST",
            credentials: "same-origin",
            headers: { "x-csrf-token": signedIn.csrfToken },
          }).then(onSignedOut),
      },
      ["Sign out"],
    );
    return h("p", { class: "signed-in", testid: "signed-in-as" }, [
      `Signed in as ${signedIn.displayName ?? signedIn.email} (${signedIn.email}, ${signedIn.role}) `,
      signOut,
    ]);
  }
  if (!tenantId) return null;
  const returnTo = `/#tenant=${encodeURIComponent(tenantId)}`;
  return h("p", { class: "signed-in" }, [
    h(
      "a",
      {
        class: "button secondary",
        testid: "sign-in-link",
        attrs: { href: `/v1/auth/${encodeURIComponent(tenantId)}/login?returnTo=${encodeURIComponent(returnTo)}` },
      },
      ["Sign in with your company account"],
    ),
  ]);
}
