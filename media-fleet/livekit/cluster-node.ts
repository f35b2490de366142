import { BinaryReader, WireType } from "@bufbuild/protobuf";

/**
 * A self-hosted LiveKit cluster keeps each node's record in its Redis (hash `nodes`, one protobuf `livekit.Node`
 * per node id), refreshed every few seconds. That record is where a node's CPU load lives: the room-service API
 * does not expose it. Pure: decodes the fields placement needs, by their protobuf field numbers
 * (livekit_internal.proto: Node 1 id, 3 num_cpus, 4 stats, 6 state, 7 region; NodeStats 2 updated_at,
 * 3 num_rooms, 4 num_clients, 21 cpu_load), and skips everything else.
 */
export interface ClusterNode {
  id: string;
  region: string;
  state: "starting_up" | "serving" | "shutting_down" | "suspended";
  numCpus: number;
  /** Unix seconds of the node's last report. */
  updatedAt: number;
  rooms: number;
  clients: number;
  /** 0..1 */
  cpuLoad: number;
}

const states: ClusterNode["state"][] = ["starting_up", "serving", "shutting_down", "suspended"];

export function decodeClusterNode(bytes: Uint8Array): ClusterNode {
  const node: ClusterNode = { id: "", region: "", state: "starting_up", numCpus: 0, updatedAt: 0, rooms: 0, clients: 0, cpuLoad: 0 };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) node.id = reader.string();
    else if (field === 3 && wireType === WireType.Varint) node.numCpus = reader.uint32();
    else if (field === 4 && wireType === WireType.LengthDelimited) readStats(reader.bytes(), node);
    else if (field === 6 && wireType === WireType.Varint) node.state = states[reader.int32()] ?? "suspended";
    else if (field === 7 && wireType === WireType.LengthDelimited) node.region = reader.string();
    else reader.skip(wireType);
  }
  return node;
}

function readStats(bytes: Uint8Array, node: ClusterNode): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 2 && wireType === WireType.Varint) node.updatedAt = Number(reader.int64());
    else if (field === 3 && wireType === WireType.Varint) node.rooms = reader.int32();
    else if (field === 4 && wireType === WireType.Varint) node.clients = reader.int32();
    else if (field === 21 && wireType === WireType.Bit32) node.cpuLoad = reader.float();
    else reader.skip(wireType);
  }
}

/** The freshest serving record per LiveKit region: how a fleet node (one region each) finds its stats. */
export function latestByRegion(nodes: readonly ClusterNode[]): Map<string, ClusterNode> {
  const byRegion = new Map<string, ClusterNode>();
  for (const node of nodes) {
    if (node.state !== "serving") continue;
    const seen = byRegion.get(node.region);
    if (!seen || node.updatedAt > seen.updatedAt) byRegion.set(node.region, node);
  }
  return byRegion;
}
