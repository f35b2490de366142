import ical, { type VEvent } from "node-ical";
import { beforeAll, describe, expect, it } from "vitest";
import { BrowserClient } from "../support/browser-client.ts";
import { configureTenantIdp, signIn } from "../support/oidc-sign-in.ts";
import { api, newTenant, workerUrl, type Problem } from "../support/stack.ts";

const eventsOf = (text: string) => Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === "VEVENT") as VEvent[];

describe("calendar invites and feeds, parsed back with node-ical", () => {
  let tenant: Awaited<ReturnType<typeof newTenant>>;
  const host = new BrowserClient();
  let csrf = "";
  const asHost = (method: string, path: string, body?: unknown) =>
    host.request(`${workerUrl}${path}`, {
      method,
      headers: { "x-csrf-token": csrf, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    tenant = await newTenant("calendar");
    await configureTenantIdp(tenant);
    await signIn(host, tenant.tenantId, "cal.host@calendar.test");
    csrf = ((await (await host.request(`${workerUrl}/v1/me`)).json()) as { csrfToken: string }).csrfToken;
  });

  const weekly = {
    title: "Weekly sync",
    // 09:00 in Paris on Tuesday 20 October 2026 (summer time), weekly four times: across the 25 October change.
    scheduledStartAt: "2026-10-20T07:00:00Z",
    scheduledEndAt: "2026-10-20T07:30:00Z",
    timeZone: "Europe/Paris",
    recurrenceRule: "FREQ=WEEKLY;COUNT=4",
    attendees: [{ email: "ana@calendar.test", name: "Ana" }],
  };

  it("an invite carries the join link and keeps 09:00 Paris time across DST; updates keep the UID and raise SEQUENCE; a deletion cancels", async () => {
    const created = await asHost("POST", "/v1/meetings", weekly);
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string; inviteSequence: number };
    expect(meeting.inviteSequence).toBe(0);

    const invite = await asHost("GET", `/v1/meetings/${meeting.id}/invite.ics`);
    expect(invite.status).toBe(200);
    expect(invite.headers.get("content-type")).toContain("text/calendar");
    const text = await invite.text();
    expect(text).toContain("METHOD:REQUEST");
    const [event] = eventsOf(text);
    expect(event!.uid).toBe(`${meeting.id}@edge-meetings`);
    expect(String(event!.location)).toBe(`${workerUrl}/#meeting=${meeting.id}`);
    const instants = event!.rrule!.between(new Date("2026-10-01T00:00:00Z"), new Date("2026-12-01T00:00:00Z"), true);
    expect(instants.map((d: Date) => d.toISOString())).toEqual([
      "2026-10-20T07:00:00.000Z",
      "2026-10-27T08:00:00.000Z",
      "2026-11-03T08:00:00.000Z",
      "2026-11-10T08:00:00.000Z",
    ]);

    // A change attendees must see raises SEQUENCE; one they need not (capacity) does not.
    expect(await (await asHost("PATCH", `/v1/meetings/${meeting.id}`, { maxParticipants: 50 })).json()).toMatchObject({
      inviteSequence: 0,
    });
    expect(await (await asHost("PATCH", `/v1/meetings/${meeting.id}`, { title: "Weekly sync (new room)" })).json()).toMatchObject({
      inviteSequence: 1,
    });
    const [updated] = eventsOf(await (await asHost("GET", `/v1/meetings/${meeting.id}/invite.ics`)).text());
    expect(updated).toMatchObject({ uid: `${meeting.id}@edge-meetings`, summary: "Weekly sync (new room)" });
    expect(Number(updated!.sequence)).toBe(1);

    expect((await asHost("DELETE", `/v1/meetings/${meeting.id}`)).status).toBe(204);
    const cancelled = await (await asHost("GET", `/v1/meetings/${meeting.id}/invite.ics`)).text();
    expect(cancelled).toContain("METHOD:CANCEL");
    const [gone] = eventsOf(cancelled);
    expect(gone!.uid).toBe(`${meeting.id}@edge-meetings`);
    expect(gone!.status).toBe("CANCELLED");
    expect(Number(gone!.sequence)).toBe(2);
  });

  it("refuses a bad time zone or recurrence rule, and an invite for a meeting with no schedule", async () => {
    for (const body of [
      { ...weekly, timeZone: "Mars/Olympus" },
      { ...weekly, recurrenceRule: "FREQ=WEEKLY\r\nATTENDEE:mailto:x@evil.test" },
      { ...weekly, attendees: [{ email: "not-an-email" }] },
    ]) {
      const refused = await asHost("POST", "/v1/meetings", body);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Problem).code).toBe("validation_failed");
    }
    const unscheduled = (await (await asHost("POST", "/v1/meetings", { title: "ad hoc" })).json()) as { id: string };
    const refused = await asHost("GET", `/v1/meetings/${unscheduled.id}/invite.ics`);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Problem).code).toBe("meeting_not_scheduled");
  });

  it("another tenant can't read the invite", async () => {
    const meeting = (await (await asHost("POST", "/v1/meetings", weekly)).json()) as { id: string };
    const other = await newTenant("calendar other");
    expect((await api(`/v1/meetings/${meeting.id}/invite.ics`, { key: other.apiKey })).status).toBe(404);
  });

  it("a private feed lists the meetings one hosts or is invited to; a new or revoked feed URL stops working", async () => {
    const hosted = (await (await asHost("POST", "/v1/meetings", { ...weekly, title: "Hosted by me" })).json()) as { id: string };
    const invited = (await (
      await api("/v1/meetings", {
        key: tenant.apiKey,
        body: { ...weekly, title: "Invited to", attendees: [{ email: "cal.host@calendar.test" }] },
      })
    ).json()) as { id: string };
    const unrelated = (await (await api("/v1/meetings", { key: tenant.apiKey, body: { ...weekly, title: "Not mine" } })).json()) as {
      id: string;
    };

    const { url } = (await (await asHost("POST", "/v1/me/calendar-feed")).json()) as { url: string };
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    const uids = eventsOf(await feed.text()).map((e) => e.uid);
    expect(uids).toContain(`${hosted.id}@edge-meetings`);
    expect(uids).toContain(`${invited.id}@edge-meetings`);
    expect(uids).not.toContain(`${unrelated.id}@edge-meetings`);

    const { url: replacement } = (await (await asHost("POST", "/v1/me/calendar-feed")).json()) as { url: string };
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(replacement)).status).toBe(200);
    expect((await asHost("DELETE", "/v1/me/calendar-feed")).status).toBe(204);
    expect((await fetch(replacement)).status).toBe(404);
    expect((await fetch(`${workerUrl}/v1/calendar/made-up-token-made-up-token.ics`)).status).toBe(404);
  });
});
