import { beforeAll, describe, expect, it } from "vitest";
import { api, createMeeting, expectProblem, newTenant } from "../support/stack.ts";

let key: string;
beforeAll(async () => {
  ({ apiKey: key } = await newTenant("meetings"));
});

describe("meetings API against workerd and Postgres", () => {
  it("creates a meeting with defaults and reads it back", async () => {
    const created = await createMeeting(key, { title: "  Weekly sync  ", metadata: { team: "core" } });
    expect(created).toMatchObject({
      title: "Weekly sync",
      status: "scheduled",
      waitingRoom: false,
      e2ee: false,
      maxParticipants: 100,
      metadata: { team: "core" },
      endedAt: null,
    });
    const read = await api(`/v1/meetings/${created.id}`, { key });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(created);
  });

  it("returns the first meeting when a create is retried with the same Idempotency-Key", async () => {
    const headers = { "idempotency-key": `retry-${crypto.randomUUID()}` };
    const body = { title: "Retry me", maxParticipants: 8 };
    const first = await api("/v1/meetings", { key, body, headers });
    const second = await api("/v1/meetings", { key, body: { maxParticipants: 8, title: "Retry me" }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    const [a, b] = (await Promise.all([first.json(), second.json()])) as { id: string }[];
    expect(b!.id).toBe(a!.id);
    const reused = await api("/v1/meetings", { key, body: { title: "Something else" }, headers });
    await expectProblem(reused, 409, "idempotency_conflict");
  });

  it("pages newest first with a cursor, without gaps or repeats", async () => {
    const { apiKey } = await newTenant("paging");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createMeeting(apiKey, { title: `m${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
      const response = await api(`/v1/meetings${query}`, { key: apiKey });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: { id: string }[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((m) => m.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by status and refuses a forged cursor", async () => {
    const { apiKey } = await newTenant("filter");
    const a = await createMeeting(apiKey, { title: "a" });
    await createMeeting(apiKey, { title: "b" });
    await api(`/v1/meetings/${a.id}/end`, { key: apiKey, method: "POST" });
    const ended = (await (await api("/v1/meetings?status=ended", { key: apiKey })).json()) as { data: { id: string }[] };
    expect(ended.data.map((m) => m.id)).toEqual([a.id]);
    await expectProblem(await api("/v1/meetings?cursor=bm90LWEtY3Vyc29y", { key: apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/meetings?limit=1000", { key: apiKey }), 400, "validation_failed");
  });

  it("updates fields, and validates the schedule merged with what is stored", async () => {
    const meeting = await createMeeting(key, {
      title: "Planning",
      scheduledStartAt: "2027-01-10T10:00:00Z",
      scheduledEndAt: "2027-01-10T11:00:00Z",
    });
    const patched = await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", body: { title: "Planning v2", waitingRoom: true } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ title: "Planning v2", waitingRoom: true, scheduledEndAt: "2027-01-10T11:00:00.000Z" });
    const badEnd = await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", body: { scheduledEndAt: "2027-01-10T09:00:00Z" } });
    const problem = await expectProblem(badEnd, 400, "validation_failed");
    expect(problem.issues?.[0]?.path).toBe("scheduledEndAt");
    await expectProblem(await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", body: {} }), 400, "validation_failed");
  });

  it("ends a meeting idempotently; an ended meeting refuses edits and new join tokens", async () => {
    const meeting = await createMeeting(key);
    const first = await api(`/v1/meetings/${meeting.id}/end`, { key, method: "POST" });
    expect(first.status).toBe(200);
    const ended = (await first.json()) as { status: string; endedAt: string };
    expect(ended.status).toBe("ended");
    const again = (await (await api(`/v1/meetings/${meeting.id}/end`, { key, method: "POST" })).json()) as { endedAt: string };
    expect(again.endedAt).toBe(ended.endedAt);
    await expectProblem(await api(`/v1/meetings/${meeting.id}`, { key, method: "PATCH", body: { title: "x" } }), 409, "meeting_ended");
    await expectProblem(await api(`/v1/meetings/${meeting.id}/tokens`, { key, body: { identity: "bob" } }), 409, "meeting_ended");
  });

  it("deletes a meeting: it disappears from reads and lists, and a second delete is 404", async () => {
    const meeting = await createMeeting(key);
    expect((await api(`/v1/meetings/${meeting.id}`, { key, method: "DELETE" })).status).toBe(204);
    await expectProblem(await api(`/v1/meetings/${meeting.id}`, { key }), 404, "not_found");
    await expectProblem(await api(`/v1/meetings/${meeting.id}`, { key, method: "DELETE" }), 404, "not_found");
    const list = (await (await api("/v1/meetings?limit=100", { key })).json()) as { data: { id: string }[] };
    expect(list.data.some((m) => m.id === meeting.id)).toBe(false);
  });

  it("mints a join token whose claims match the request", async () => {
    const meeting = await createMeeting(key);
    const response = await api(`/v1/meetings/${meeting.id}/tokens`, {
      key,
      body: { identity: "carol", name: "Carol", role: "cohost", ttlSeconds: 120 },
    });
    expect(response.status).toBe(201);
    const { token, expiresAt, connectUrl } = (await response.json()) as { token: string; expiresAt: string; connectUrl: string };
    const [header, payload] = token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part!, "base64url").toString()));
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(payload).toMatchObject({ sub: "carol", name: "Carol", role: "cohost", mid: meeting.id, aud: "meeting-join" });
    expect(payload.exp - payload.iat).toBe(120);
    expect(new Date(expiresAt).getTime()).toBe(payload.exp * 1000);
    expect(connectUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v1/meetings/${meeting.id}/connect\\?token=`));
    await expectProblem(
      await api(`/v1/meetings/${meeting.id}/tokens`, { key, body: { identity: "has space", role: "host" } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await api(`/v1/meetings/${meeting.id}/tokens`, { key, body: { identity: "dave", role: "admin" } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await api(`/v1/meetings/${meeting.id}/tokens`, { key, body: { identity: "dave", ttlSeconds: 86400 } }),
      400,
      "validation_failed",
    );
  });
});
