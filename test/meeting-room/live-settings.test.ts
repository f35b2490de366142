import { beforeAll, describe, expect, it } from "vitest";
import { refusedConnect } from "../support/refused-connect.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, expectProblem, mintToken, newTenant } from "../support/stack.ts";

/**
 * A live room is authoritative for its meeting: connects to it read nothing from Postgres, so what the API
 * changes (an edit, an end, a delete) must reach the room, and the room refuses connects exactly as the API would.
 */

let key: string;

beforeAll(async () => {
  key = (await newTenant("live-settings")).apiKey;
});

async function liveMeeting(title: string) {
  const meeting = await createMeeting(key, { title });
  const host = await RoomClient.join((await mintToken(key, meeting.id)).connectUrl);
  expect(host.ofType("welcome")[0]?.title).toBe(title);
  return { meeting, host };
}

describe("a live room knows what the API changed", () => {
  it("a meeting edited via PATCH reaches its live room: the next joiner's welcome carries the new title", async () => {
    const { meeting, host } = await liveMeeting("Before the edit");
    const guestToken = await mintToken(key, meeting.id, { identity: "guest", role: "participant" });
    const patched = await api(`/v1/meetings/${meeting.id}`, { method: "PATCH", key, body: { title: "After the edit" } });
    expect(patched.status).toBe(200);
    const guest = await RoomClient.join(guestToken.connectUrl);
    expect(guest.ofType("welcome")[0]?.title).toBe("After the edit");
    guest.close();
    host.close();
  });

  it("an ended meeting refuses connects with meeting_ended, though its room is live", async () => {
    const { meeting, host } = await liveMeeting("To be ended");
    const guestToken = await mintToken(key, meeting.id, { identity: "guest", role: "participant" });
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key, body: {} })).status).toBe(200);
    await host.waitClosed();
    await expectProblem(await refusedConnect(guestToken.connectUrl), 409, "meeting_ended");
  });

  it("a deleted meeting refuses connects with not_found, whether it was live or already ended", async () => {
    for (const endFirst of [false, true]) {
      const { meeting, host } = await liveMeeting(endFirst ? "Ended, then deleted" : "Deleted while live");
      const guestToken = await mintToken(key, meeting.id, { identity: "guest", role: "participant" });
      if (endFirst) expect((await api(`/v1/meetings/${meeting.id}/end`, { key, body: {} })).status).toBe(200);
      expect((await api(`/v1/meetings/${meeting.id}`, { method: "DELETE", key })).status).toBe(204);
      await host.waitClosed();
      await expectProblem(await refusedConnect(guestToken.connectUrl), 404, "not_found");
    }
  });

  it("a meeting nobody joined yet is read from Postgres on the first connect: an edit before it counts", async () => {
    const meeting = await createMeeting(key, { title: "Never joined" });
    expect((await api(`/v1/meetings/${meeting.id}`, { method: "PATCH", key, body: { title: "Edited before anyone came" } })).status).toBe(
      200,
    );
    const host = await RoomClient.join((await mintToken(key, meeting.id)).connectUrl);
    expect(host.ofType("welcome")[0]?.title).toBe("Edited before anyone came");
    host.close();
  });
});
