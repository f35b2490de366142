import { describe, expect, it } from "vitest";
import { defaultRecorderPlacementPolicy, parseRecorderPool, selectRecorder, type RecorderLoad } from "./recorder-pool.ts";

const members = [
  { id: "http://127.0.0.1:9300", url: "http://127.0.0.1:9300" },
  { id: "http://127.0.0.1:9301", url: "http://127.0.0.1:9301" },
];
const [a, b] = members.map((m) => m.id) as [string, string];
const load = (activeTracks: number, extra: Partial<RecorderLoad> = {}): RecorderLoad => ({
  healthy: true,
  maxTracks: 10,
  activeTracks,
  statsAgeMs: 0,
  ...extra,
});

describe("recorder placement", () => {
  it("a capture goes to the member with the most room; ties go to the first by id", () => {
    expect(
      selectRecorder(
        members,
        new Map([
          [a, load(6)],
          [b, load(2)],
        ]),
      ),
    ).toEqual({ ok: true, recorderId: b });
    expect(
      selectRecorder(
        members,
        new Map([
          [a, load(3)],
          [b, load(3)],
        ]),
      ),
    ).toEqual({ ok: true, recorderId: a });
  });

  it("a member without room for the expected tracks is passed over; all full is fleet_full", () => {
    expect(
      selectRecorder(
        members,
        new Map([
          [a, load(9)],
          [b, load(7)],
        ]),
      ),
    ).toEqual({ ok: true, recorderId: b });
    expect(
      selectRecorder(
        members,
        new Map([
          [a, load(9)],
          [b, load(10)],
        ]),
      ),
    ).toMatchObject({ ok: false, code: "fleet_full" });
  });

  it("an unhealthy, silent or stale member is never chosen; none fit is no_healthy_node", () => {
    const loads = new Map([
      [a, load(0, { statsAgeMs: defaultRecorderPlacementPolicy.staleAfterMs + 1 })],
      [b, load(0, { healthy: false })],
    ]);
    expect(selectRecorder(members, loads)).toMatchObject({ ok: false, code: "no_healthy_node" });
    expect(selectRecorder(members, new Map([[a, undefined]]))).toMatchObject({ ok: false, code: "no_healthy_node" });
    expect(selectRecorder(members, new Map([[a, load(0, { statsAgeMs: Number.NaN })]]))).toMatchObject({ ok: false });
  });

  it("a member already tried is skipped", () => {
    expect(
      selectRecorder(
        members,
        new Map([
          [a, load(0)],
          [b, load(5)],
        ]),
        defaultRecorderPlacementPolicy,
        new Set([a]),
      ),
    ).toEqual({
      ok: true,
      recorderId: b,
    });
  });
});

describe("RECORDER_URLS", () => {
  it("parses origins, trims, drops duplicates and sorts", () => {
    expect(parseRecorderPool(" http://127.0.0.1:9301/, http://127.0.0.1:9300,http://127.0.0.1:9301")).toEqual({ ok: true, members });
  });

  it("refuses what is not a bare http(s) origin, and an empty list", () => {
    for (const bad of ["", " , ", "ftp://x", "not a url", "http://x/path", "http://user@x"]) {
      expect(parseRecorderPool(bad).ok, bad).toBe(false);
    }
  });
});
