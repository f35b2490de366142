import { createApp } from "./api/app.ts";
import type { Env } from "./env.ts";
import { sweepDueDeliveries } from "./webhooks/sweep.ts";

/** Worker entry: the HTTP/WSS API, the cron's webhook sweep, and the Durable Object classes it binds. */
export { MeetingRoom } from "./meeting-room/shell/meeting-room.ts";
export { WebhookDispatcher } from "./webhooks/webhook-dispatcher.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(sweepDueDeliveries(env));
  },
} satisfies ExportedHandler<Env>;
