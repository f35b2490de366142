import { describe, expect, it } from "vitest";
import { bridgeEnv, readBridgeEnv, type BridgeSettings } from "./bridge-env.ts";

const settings: BridgeSettings = {
  host: "127.0.0.1",
  port: 8079,
  redisHost: "127.0.0.1",
  redisPort: 63799,
  token: "a-token-long-enough-to-pass",
  maxBodyBytes: 1024,
};

describe("bridge environment", () => {
  it("roundtrips the settings through environment variables", () => {
    expect(readBridgeEnv(bridgeEnv(settings))).toEqual(settings);
  });

  it("names bad variables without echoing any value, so the token can't leak into the log", () => {
    const env = { ...bridgeEnv(settings), UPSTASH_BRIDGE_TOKEN: "short-secret", UPSTASH_BRIDGE_PORT: "http" };
    expect(() => readBridgeEnv(env)).toThrow(/UPSTASH_BRIDGE_PORT, UPSTASH_BRIDGE_TOKEN|UPSTASH_BRIDGE_TOKEN, UPSTASH_BRIDGE_PORT/);
    expect(() => readBridgeEnv(env)).not.toThrow(/short-secret/);
  });
});
