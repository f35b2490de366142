import { dispose } from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { host, loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import { readClusterStats } from "../../workers/media/cluster-stats.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";

// The Worker reads the local cluster's node records through the Upstash bridge, as it would a cluster's Redis.
let bot: LiveKitBot | undefined;
afterAll(async () => {
  await bot?.disconnect();
  await dispose();
});

describe("LiveKit cluster node stats", () => {
  it("both local nodes report fresh CPU load and client counts, and a connected client is counted", async () => {
    const secrets = await loadOrCreateSecrets();
    const source = { url: `http://${host}:${ports.upstashBridge}`, token: secrets.upstashToken };
    const stats = await readClusterStats(source);
    for (const region of ["local-a", "local-b"]) {
      const node = stats.get(region);
      expect(node, region).toBeDefined();
      expect(node!.state).toBe("serving");
      expect(Date.now() / 1000 - node!.updatedAt).toBeLessThan(10);
      expect(node!.cpuLoad).toBeGreaterThanOrEqual(0);
      expect(node!.cpuLoad).toBeLessThanOrEqual(1);
      expect(node!.numCpus).toBeGreaterThan(0);
    }

    const token = new AccessToken(secrets.livekitApiKey, secrets.livekitApiSecret, { identity: "stats-probe", ttl: "5m" });
    token.addGrant({ roomJoin: true, room: `test-cluster-stats-${crypto.randomUUID()}`, canSubscribe: true });
    bot = await LiveKitBot.connect(livekitUrl, await token.toJwt(), { subscribe: false });
    // Other suites use node A at the same time, so only "at least ours" is certain.
    let clients = 0;
    for (const deadline = Date.now() + 15_000; clients < 1 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      clients = (await readClusterStats(source)).get("local-a")?.clients ?? 0;
    }
    expect(clients).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
