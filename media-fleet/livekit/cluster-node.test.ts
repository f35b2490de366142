import { BinaryWriter } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { decodeClusterNode, latestByRegion, type ClusterNode } from "./cluster-node.ts";

/** A livekit.Node record as a LiveKit node writes it, with fields we skip mixed in. */
function nodeRecord(fields: {
  id: string;
  region: string;
  state: number;
  updatedAt: number;
  rooms: number;
  clients: number;
  cpuLoad: number;
}): Uint8Array {
  const stats = new BinaryWriter()
    .tag(1, 0)
    .int64(1_700_000_000)
    .tag(2, 0)
    .int64(fields.updatedAt)
    .tag(3, 0)
    .int32(fields.rooms)
    .tag(4, 0)
    .int32(fields.clients)
    .tag(7, 0)
    .uint64(123_456)
    .tag(12, 5)
    .float(9.5)
    .tag(17, 0)
    .uint32(8)
    .tag(21, 5)
    .float(fields.cpuLoad)
    .finish();
  return new BinaryWriter()
    .tag(1, 2)
    .string(fields.id)
    .tag(2, 2)
    .string("10.0.0.1")
    .tag(3, 0)
    .uint32(8)
    .tag(4, 2)
    .bytes(stats)
    .tag(5, 0)
    .int32(0)
    .tag(6, 0)
    .int32(fields.state)
    .tag(7, 2)
    .string(fields.region)
    .finish();
}

describe("LiveKit cluster node records", () => {
  it("decodes the fields placement needs and skips the rest", () => {
    const decoded = decodeClusterNode(
      nodeRecord({ id: "ND_a", region: "eu-west", state: 1, updatedAt: 1_764_000_000, rooms: 3, clients: 41, cpuLoad: 0.625 }),
    );
    expect(decoded).toEqual({
      id: "ND_a",
      region: "eu-west",
      state: "serving",
      numCpus: 8,
      updatedAt: 1_764_000_000,
      rooms: 3,
      clients: 41,
      cpuLoad: 0.625,
    });
  });

  it("keeps the freshest serving record per region (a restarted node leaves its old record behind)", () => {
    const base: ClusterNode = { id: "", region: "a", state: "serving", numCpus: 2, updatedAt: 0, rooms: 0, clients: 0, cpuLoad: 0 };
    const picked = latestByRegion([
      { ...base, id: "old", updatedAt: 100 },
      { ...base, id: "new", updatedAt: 200 },
      { ...base, id: "leaving", updatedAt: 300, state: "shutting_down" },
      { ...base, id: "b", region: "b", updatedAt: 50 },
    ]);
    expect(picked.get("a")?.id).toBe("new");
    expect(picked.get("b")?.id).toBe("b");
  });
});
