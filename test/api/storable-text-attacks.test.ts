import { beforeAll, describe, expect, it } from "vitest";
import { api, createMeeting, expectProblem, mintToken, newTenant, type Problem } from "../support/stack.ts";

/**
 * Text Postgres can't store: NUL (`text` and `jsonb` refuse it) and unpaired surrogates (`jsonb` refuses their
 * escapes; in `text` they would be silently replaced). Both used to reach the database and come back as a 500.
 * Every field that is stored is now checked against protocol/text.ts: a 400 naming the field, and nothing written.
 * JSON.stringify writes both as \u escapes, which is what a client's JSON carries.
 */

const nul = "bad\u0000title";
const loneHigh = "bad\uD800title";
const loneLow = "bad\uDC00title";
const escapeCharacter = "bad\u001Btitle"; // other control characters are refused too

let key: string;
let meetingId: string;

beforeAll(async () => {
  ({ apiKey: key } = await newTenant("storable-text"));
  meetingId = (await createMeeting(key, { title: "Stored", metadata: { team: "core" } })).id;
});

async function listedIds(): Promise<string[]> {
  const response = await api("/v1/meetings?limit=100", { key });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { id: string }[] }).data.map((m) => m.id);
}

/** A 400 validation_failed whose issues name `path`; the offending text itself is never echoed. */
async function expectRefusedField(response: Response, path: string): Promise<Problem> {
  const problem = await expectProblem(response, 400, "validation_failed");
  expect(problem.issues?.map((issue) => issue.path)).toContain(path);
  expect(JSON.stringify(problem)).not.toMatch(/bad.title/);
  return problem;
}

describe("meeting text Postgres can't store is a 400, and nothing is written", () => {
  it.each([
    ["a NUL", nul],
    ["a lone high surrogate", loneHigh],
    ["a lone low surrogate", loneLow],
    ["an escape character", escapeCharacter],
  ])("refuses a title with %s on create and on update", async (_, title) => {
    const before = await listedIds();
    await expectRefusedField(await api("/v1/meetings", { key, body: { title } }), "title");
    await expectRefusedField(await api(`/v1/meetings/${meetingId}`, { key, method: "PATCH", body: { title } }), "title");
    expect(await listedIds()).toEqual(before);
    const stored = (await (await api(`/v1/meetings/${meetingId}`, { key })).json()) as { title: string };
    expect(stored.title).toBe("Stored");
  });

  it.each([
    ["a NUL in a top-level value", { course: nul }, "metadata.course"],
    ["a lone surrogate deep in an object", { course: { units: [{ name: loneHigh }] } }, "metadata.course"],
    ["a NUL in a nested key", { course: { [nul]: 1 } }, "metadata.course"],
    ["a lone surrogate in an array of strings", { tags: ["ok", loneLow] }, "metadata.tags"],
    ["a NUL in a top-level key", { [nul]: "x" }, "metadata"],
    ["a lone surrogate in a top-level key", { [loneLow]: "x" }, "metadata"],
  ])("refuses metadata with %s on create and on update", async (_, metadata, path) => {
    const before = await listedIds();
    await expectRefusedField(await api("/v1/meetings", { key, body: { title: "Metadata attack", metadata } }), path);
    await expectRefusedField(await api(`/v1/meetings/${meetingId}`, { key, method: "PATCH", body: { metadata } }), path);
    expect(await listedIds()).toEqual(before);
    const stored = (await (await api(`/v1/meetings/${meetingId}`, { key })).json()) as { metadata: unknown };
    expect(stored.metadata).toEqual({ team: "core" });
  });

  it("refuses a bad field even when the request carries an Idempotency-Key, so a retry with good text succeeds", async () => {
    const headers = { "idempotency-key": `text-${crypto.randomUUID()}` };
    await expectRefusedField(await api("/v1/meetings", { key, headers, body: { title: nul } }), "title");
    const retried = await api("/v1/meetings", { key, headers, body: { title: "Clean title" } });
    expect(retried.status).toBe(201);
  });

  it("keeps well-formed text of every script, emoji (surrogate pairs), and line breaks in metadata", async () => {
    const title = "Café 会議 👩🏽‍💻 Привет";
    const metadata = { "note ✓": "line one\nline two\ttabbed", nested: { emoji: ["🎉", "𝄞"] } };
    const created = await createMeeting(key, { title, metadata });
    expect(created).toMatchObject({ title, metadata });
    const read = (await (await api(`/v1/meetings/${created.id}`, { key })).json()) as { title: string; metadata: unknown };
    expect(read).toMatchObject({ title, metadata });
  });
});

describe("join-token text Postgres can't store is a 400", () => {
  it.each([
    ["name", { identity: "user-1", name: nul }],
    ["name", { identity: "user-1", name: loneHigh }],
    ["name", { identity: "user-1", name: loneLow }],
    ["identity", { identity: nul }],
    ["identity", { identity: loneHigh }],
  ])("refuses a bad %s", async (path, body) => {
    await expectRefusedField(await api(`/v1/meetings/${meetingId}/tokens`, { key, body: { role: "participant", ...body } }), path);
  });

  it("mints for a name in any script, which the room then greets by that name", async () => {
    const minted = await mintToken(key, meetingId, { identity: "user-2", name: "Zoë 李 🎧", role: "participant" });
    const payload = JSON.parse(Buffer.from(minted.token.split(".")[1]!, "base64url").toString("utf8")) as { name: string };
    expect(payload.name).toBe("Zoë 李 🎧");
  });
});

describe("meeting ids are canonical", () => {
  it("an upper-case spelling of an id addresses the same meeting", async () => {
    const response = await api(`/v1/meetings/${meetingId.toUpperCase()}`, { key });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { id: string }).id).toBe(meetingId);
  });
});
