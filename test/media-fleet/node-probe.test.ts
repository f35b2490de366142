import crypto from "node:crypto";
import net from "node:net";
import { RoomServiceClient } from "livekit-server-sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import { host, loadOrCreateSecrets, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { livekitNodeA } from "../../scripts/services/livekit.ts";

// The probe the meeting room's failover rule is fed with (RoomMedia's `probe_media`), against a real node.
let secrets: LocalSecrets;

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("probing a LiveKit node", () => {
  it("a serving node answers healthy; a node that is down, or refuses our key, does not", async () => {
    const rooms = new RoomServiceClient(livekitNodeA.url, secrets.livekitApiKey, secrets.livekitApiSecret, { failover: false });
    const serving = await probeNode(livekitNodeA.url, { rooms });
    expect(serving).toMatchObject({ healthy: true });
    expect(serving.error).toBeUndefined();
    expect(await probeNode(`http://${host}:${await closedPort()}`)).toMatchObject({ healthy: false, error: "unreachable (ECONNREFUSED)" });
    const impostor = new RoomServiceClient(livekitNodeA.url, secrets.livekitApiKey, crypto.randomBytes(32).toString("base64url"), {
      failover: false,
    });
    expect(await probeNode(livekitNodeA.url, { rooms: impostor })).toMatchObject({ healthy: false, error: "room service: unauthorized" });
  });

  it("a node that accepts the connection but never answers counts as failed within the probe's timeout", async () => {
    // What a wedged process (or a black-holed route) looks like from the room: no refusal, just silence.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, host, resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const probe = await probeNode(`http://${host}:${port}`, { timeoutMs: 300 });
      expect(probe).toMatchObject({ healthy: false, error: "timed out" });
      expect(probe.latencyMs).toBeLessThan(1_000);
    } finally {
      silent.close();
    }
  });
});
