import { readFile } from "node:fs/promises";
import ical, { type VEvent } from "node-ical";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureTenantIdp } from "../support/oidc-sign-in.ts";
import { newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage } from "./browser.ts";

/**
 * A person signs in from the meeting page in headless Chromium: the page's sign-in link, the local OpenID
 * provider's own login and consent forms, back to the page signed in (the __Host- session cookie kept on
 * http://127.0.0.1, which Chromium treats as a secure context), with their name prefilled from their profile.
 * Signed in, they schedule a meeting in their profile's zone, download its invite and join it as its host the
 * way their preferences say, all with the session and no API key.
 */
const stepMs = 30_000;

/** From the page's sign-in link through the provider's login and consent, back on the page signed in. */
async function signInFromPage(page: Page, tenantId: string, login: string): Promise<void> {
  await page.goto(`${workerUrl}/#tenant=${tenantId}`);
  await page.getByTestId("sign-in-link").click();
  await page.waitForSelector('input[name="login"]', { timeout: 15_000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', "any");
  await page.click('button[type="submit"]');
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached", timeout: 15_000 });
  await page.click('button[type="submit"]');
  await page.getByTestId("signed-in-as").waitFor({ timeout: 15_000 });
}

/** Paris's calendar date `days` from now ("2026-10-20"). */
function parisDateIn(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date(Date.now() + days * 86_400_000));
}

/**
 * 09:00 in Paris on `date`, worked out apart from the page's own conversion: Paris's offset that day from Intl's
 * "GMT+02:00" name, read at noon UTC (Paris changes clocks at 01:00 UTC, so noon has the offset 09:00 has).
 */
function parisNineOn(date: string): Date {
  const offset = new Intl.DateTimeFormat("en", { timeZone: "Europe/Paris", timeZoneName: "longOffset" })
    .formatToParts(new Date(`${date}T12:00:00Z`))
    .find((part) => part.type === "timeZoneName")
    ?.value.replace("GMT", "");
  if (!offset) throw new Error("no offset for Paris");
  return new Date(`${date}T09:00:00${offset}`);
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const eventsOf = (text: string) => Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === "VEVENT") as VEvent[];
const emailsOf = (attendee: VEvent["attendee"]) =>
  [attendee ?? []].flat().map((entry) => (typeof entry === "string" ? entry : entry.val).replace(/^mailto:/i, ""));

describe("signing in from the meeting page (Chromium, the real provider)", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("sign in, come back signed in with the name prefilled, sign out", { timeout: 90_000 }, async () => {
    const tenant = await newTenant("page sign-in");
    await configureTenantIdp(tenant);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInFromPage(page, tenant.tenantId, "page.person@page.test");

    const signedIn = page.getByTestId("signed-in-as");
    expect(new URL(page.url()).origin).toBe(workerUrl);
    expect(await signedIn.textContent()).toContain("page.person@page.test");
    expect(await page.getByTestId("name-input").inputValue()).toBe("Page Person");
    const cookie = (await context.cookies()).find((c) => c.name === "__Host-em_session");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });

    await page.getByTestId("sign-out-button").click();
    await page.getByTestId("sign-in-link").waitFor({ timeout: 15_000 });
    const me = await page.evaluate(async () => (await fetch("/v1/me")).status);
    expect(me).toBe(401);
    await context.close();
  });

  it("signed in, schedule a weekly 09:00 Paris meeting, download its invite, and join it now as host with the microphone off", {
    timeout: 120_000,
  }, async () => {
    const tenant = await newTenant("page scheduling");
    await configureTenantIdp(tenant);
    // The browser's clock is New York's: the start must be read in the zone chosen on the form, not the browser's.
    const context = await browser.newContext({ acceptDownloads: true, locale: "en-GB", timezoneId: "America/New_York" });
    const meeting = new MeetingPage(await context.newPage());
    const { page } = meeting;
    await signInFromPage(page, tenant.tenantId, "sam.scheduler@page.test");

    // The person's profile: Paris time, and arrive with the microphone off.
    const patched = await page.evaluate(async () => {
      const { csrfToken } = (await (await fetch("/v1/me")).json()) as { csrfToken: string };
      const response = await fetch("/v1/me", {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
        body: JSON.stringify({ timeZone: "Europe/Paris", preferences: { joinWithMicrophoneOff: true } }),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { timeZone: "Europe/Paris", preferences: { joinWithMicrophoneOff: true, joinWithCameraOff: false } },
    });
    await page.reload();
    await page.getByTestId("signed-in-as").waitFor({ timeout: 15_000 });
    // Signed in, the page asks for no API key; the schedule form starts in the profile's zone.
    expect(await page.getByTestId("api-key-input").count()).toBe(0);
    expect(await page.getByTestId("schedule-zone-input").inputValue()).toBe("Europe/Paris");

    const day = parisDateIn(7);
    await page.getByTestId("schedule-title-input").fill("Weekly planning");
    await page.getByTestId("schedule-start-input").fill(`${day}T09:00`);
    await page.getByTestId("schedule-duration-select").selectOption("30");
    await page.getByTestId("schedule-zone-input").fill("Europe/Paris");
    await page.getByTestId("schedule-attendees-input").fill("Ana Lima <ana@page.test>");
    await page.getByTestId("schedule-repeat-select").selectOption({ label: "Weekly" });
    await page.getByTestId("schedule-button").click();

    await page.getByTestId("scheduled-panel").waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("scheduled-title").textContent()).toBe("Weekly planning");
    expect(await page.getByTestId("scheduled-start").textContent()).toContain("09:00 (Europe/Paris) · 30 minutes · Weekly");
    const link = await page.getByTestId("scheduled-join-link").inputValue();
    const meetingId = new URL(link).hash.replace("#meeting=", "");
    expect(link).toBe(`${workerUrl}/#meeting=${meetingId}`);
    // The address names the meeting and keeps the tenant, so a reload still offers the sign-in.
    expect(new URL(page.url()).hash).toBe(`#meeting=${meetingId}&tenant=${tenant.tenantId}`);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-invite-button").click()]);
    expect(download.suggestedFilename()).toBe(`meeting-${meetingId}.ics`);
    const [event] = eventsOf(await readFile(await download.path(), "utf8"));
    if (!event) throw new Error("the invite has no VEVENT");
    const firstStart = parisNineOn(day);
    expect(event.start.toISOString()).toBe(firstStart.toISOString());
    expect((event.end?.getTime() ?? 0) - event.start.getTime()).toBe(30 * 60_000);
    expect(String(event.rrule)).toContain("FREQ=WEEKLY");
    // Weekly means 09:00 Paris again seven days on, whatever the clocks did in between.
    const occurrences = event.rrule?.between(firstStart, new Date(firstStart.getTime() + 8 * 86_400_000), true) ?? [];
    expect(occurrences.map((at: Date) => at.toISOString())).toEqual(
      [firstStart, parisNineOn(addDays(day, 7))].map((at) => at.toISOString()),
    );
    expect(emailsOf(event.attendee)).toEqual(["ana@page.test"]);
    expect(String(event.location)).toBe(link);

    await page.getByTestId("join-now-button").click();
    await meeting.waitUntilInMeeting(stepMs);
    const welcome = meeting.received.find((frame) => frame.type === "welcome");
    expect(welcome?.type === "welcome" && welcome.self).toMatchObject({ role: "host", name: "Sam Scheduler" });
    // Arrived muted, as the preference says: the button shows it and the room was told so; the camera is on.
    expect(await page.getByTestId("mic-button").getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("camera-button").getAttribute("aria-pressed")).toBe("false");
    expect(meeting.sentOfType("presence")[0]).toMatchObject({ audioMuted: true, videoMuted: false });
    expect(meeting.pageErrors).toEqual([]);

    await meeting.leave(stepMs);
    await context.close();
  });
});
