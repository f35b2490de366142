import { readBridgeEnv } from "./bridge-env.ts";
import { jsonLineLogger } from "./log-events.ts";
import { RedisExecutor } from "./redis-executor.ts";
import { createBridgeServer } from "./server.ts";

// Entry point of the upstash-bridge daemon (started by scripts/services/redis.ts); configured by environment only.
const settings = readBridgeEnv(process.env);
const log = jsonLineLogger;
const executor = new RedisExecutor({ host: settings.redisHost, port: settings.redisPort }, (error) =>
  log({ event: "redis_connection_error", message: error.message }),
);
const server = createBridgeServer({ token: settings.token, maxBodyBytes: settings.maxBodyBytes, executor, log });

server.listen(settings.port, settings.host, () =>
  log({
    event: "listening",
    url: `http://${settings.host}:${settings.port}`,
    redis: `redis://${settings.redisHost}:${settings.redisPort}`,
  }),
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log({ event: "shutting_down", signal });
    server.closeAllConnections();
    server.close();
    void executor.close().finally(() => process.exit(0));
  });
}
