import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { participantRowsOf, postLiveKitFact, nowSeconds, usageRowsOf, usageRowsWhen, type UsageRow } from "./usage-facts.ts";

// Usage from the real paths: signed LiveKit webhooks through the Worker's route, and a real meeting room's joins and
// leaves through its record outbox. Every total is checked against a sum the test computes from the facts it drove.

let tenant: { apiKey: string; tenantId: string };
const sockets: RoomClient[] = [];
beforeAll(async () => {
  tenant = await newTenant("usage-facts");
});
afterAll(() => {
  for (const socket of sockets) socket.close();
});

const sumOf = (rows: UsageRow[], kind: string) => rows.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.quantity, 0);

async function billedViaApi(meetingId: string, meter: string): Promise<number> {
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const response = await api(`/v1/usage?from=${from}&to=${to}&granularity=hour&meeting=${meetingId}`, { key: tenant.apiKey });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { totals: { meter: string; quantity: number }[] };
  return body.totals.find((t) => t.meter === meter)?.quantity ?? 0;
}

describe("usage from LiveKit's facts", () => {
  it("duplicate and reordered participant webhooks leave the billed total what the facts say", async () => {
    const meeting = await createMeeting(tenant.apiKey, { title: "SFU facts" });
    const room = { tenantId: tenant.tenantId, meetingId: meeting.id, roomSid: "RM_usagefacts" };
    const now = nowSeconds();
    const ana = { sid: "PA_ana", identity: "ana", joinedAt: now - 125 };
    const ben = { sid: "PA_ben", identity: "ben", joinedAt: now - 61 };
    const sent = [
      await postLiveKitFact({ ...room, event: "participant_joined", createdAt: ana.joinedAt, participant: ana }),
      await postLiveKitFact({ ...room, event: "participant_left", createdAt: now - 5, participant: ana }),
      // Ben's leave arrives before his join (livekit/livekit#2399), then LiveKit reports the same leave again.
      await postLiveKitFact({ ...room, event: "participant_left", createdAt: now - 2, participant: ben }),
      await postLiveKitFact({ ...room, event: "participant_joined", createdAt: ben.joinedAt, participant: ben }),
      await postLiveKitFact({ ...room, event: "participant_connection_aborted", createdAt: now, participant: ben }),
      // Ana's leave once more, a second later: a second report of the same session.
      await postLiveKitFact({ ...room, event: "participant_left", createdAt: now - 4, participant: ana }),
    ];
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);

    const rows = await usageRowsOf(tenant.tenantId, meeting.id);
    // Independently: each session from its join to its first reported end, in ms.
    const expected = (now - 5 - ana.joinedAt) * 1000 + (now - 2 - ben.joinedAt) * 1000;
    expect(rows.map((r) => r.sourceId).sort()).toEqual(["livekit:RM_usagefacts:PA_ana", "livekit:RM_usagefacts:PA_ben"]);
    expect(rows.every((r) => r.source === "livekit_webhook")).toBe(true);
    expect(sumOf(rows, "sfu_participant_seconds")).toBe(expected);
    expect(await billedViaApi(meeting.id, "sfu_participant_seconds")).toBe(expected);

    // The meeting ends; the room still believes ben is on the SFU (his join came last) and closes his session,
    // under the key his webhook already billed: nothing changes.
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: tenant.apiKey, method: "POST" })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sumOf(await usageRowsOf(tenant.tenantId, meeting.id), "sfu_participant_seconds")).toBe(expected);
  }, 30_000);
});

describe("usage from the meeting room's facts", () => {
  it("peer-to-peer time equals Σ(left_at − joined_at) of the room's participant rows, to the millisecond", async () => {
    const meeting = await createMeeting(tenant.apiKey, { title: "P2P facts" });
    const join = async (identity: string, role: "host" | "participant") =>
      RoomClient.join((await mintToken(tenant.apiKey, meeting.id, { identity, role })).connectUrl);
    const host = await join("host", "host");
    const guest = await join("guest", "participant");
    sockets.push(host, guest);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    guest.close();
    await new Promise((resolve) => setTimeout(resolve, 800));
    // Guest comes back: a second stretch, billed separately.
    const again = await join("guest", "participant");
    sockets.push(again);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: tenant.apiKey, method: "POST" })).status).toBe(200);

    const rows = await usageRowsWhen(
      tenant.tenantId,
      meeting.id,
      (r) => r.filter((x) => x.kind === "p2p_participant_seconds").length === 3,
    );
    const people = await participantRowsOf(tenant.tenantId, meeting.id);
    expect(people).toHaveLength(3);
    expect(people.every((p) => p.leftAt !== null)).toBe(true);
    const expected = people.reduce((sum, p) => sum + (p.leftAt!.getTime() - p.joinedAt.getTime()), 0);
    expect(expected).toBeGreaterThan(2_000);
    expect(sumOf(rows, "p2p_participant_seconds")).toBe(expected);
    expect(rows.every((r) => r.source === "room" && r.sourceId.startsWith(`room:p2p:${meeting.id}:`))).toBe(true);
    expect(await billedViaApi(meeting.id, "p2p_participant_seconds")).toBe(expected);
  }, 30_000);

  it("a webhook and the room reporting the end of the same SFU session bill it once (whichever came first)", async () => {
    const meeting = await createMeeting(tenant.apiKey, { title: "Both report" });
    const ana = await RoomClient.join((await mintToken(tenant.apiKey, meeting.id, { identity: "ana", role: "host" })).connectUrl);
    sockets.push(ana);
    const room = { tenantId: tenant.tenantId, meetingId: meeting.id, roomSid: "RM_both" };
    const joinedAt = nowSeconds() - 30;
    const session = { sid: "PA_ana_both", identity: "ana", joinedAt };
    expect((await postLiveKitFact({ ...room, event: "participant_joined", createdAt: joinedAt, participant: session })).status).toBe(200);
    await ana.next((f) => f.type === "media_state" && "ana" in f.onSfu);
    // Ana leaves the meeting: the room's leave fact closes her SFU session (its webhook never came).
    ana.close();
    const rows = await usageRowsWhen(tenant.tenantId, meeting.id, (r) => r.some((x) => x.kind === "sfu_participant_seconds"));
    const sfu = rows.filter((r) => r.kind === "sfu_participant_seconds");
    expect(sfu).toHaveLength(1);
    expect(sfu[0]).toMatchObject({ source: "room", sourceId: "livekit:RM_both:PA_ana_both" });
    const [person] = await participantRowsOf(tenant.tenantId, meeting.id);
    expect(sfu[0]!.periodEnd.getTime()).toBe(person!.leftAt!.getTime());
    expect(sfu[0]!.quantity).toBe(person!.leftAt!.getTime() - joinedAt * 1000);
    // The webhook turns up late, and again: the record stands.
    for (let i = 0; i < 2; i++) {
      const late = await postLiveKitFact({ ...room, event: "participant_left", createdAt: nowSeconds(), participant: session });
      expect(late.status).toBe(200);
    }
    expect((await usageRowsOf(tenant.tenantId, meeting.id)).filter((r) => r.kind === "sfu_participant_seconds")).toEqual(sfu);
  }, 30_000);
});
