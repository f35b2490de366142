import { createBaseApp } from "./base-app.ts";
import { limitBodySize, requireJsonBody } from "./middleware/body-size.ts";
import { withDatabase } from "./middleware/database.ts";
import { connectRoutes } from "./routes/connect.ts";
import { healthRoutes } from "./routes/health.ts";

/**
 * The room sockets' Worker (workers/room-sockets.ts): the meeting-room WebSocket and health, nothing else. The join
 * token authenticates the connect, exactly as on the API's own copy of the route.
 */
export function createRoomSocketsApp() {
  const app = createBaseApp();
  app.use("/healthz", withDatabase);
  app.use("/v1/*", limitBodySize, requireJsonBody, withDatabase);
  app.route("/", healthRoutes);
  app.route("/", connectRoutes);
  return app;
}
