import { createApp } from "./api/app.ts";
import type { Env } from "./env.ts";
import { dailyMeteringCron, meterFromCron } from "./usage/shell/usage-cron.ts";
import { sweepDueDeliveries } from "./webhooks/sweep.ts";
import { recordingCron } from "./recordings/recording-cron.ts";

/** Worker entry: the HTTP/WSS API, the crons (webhook sweep, usage metering, recordings), and the Durable Object classes it binds. */
export { MeetingRoom } from "./meeting-room/shell/meeting-room.ts";
export { WebhookDispatcher } from "./webhooks/webhook-dispatcher.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    if (controller.cron !== dailyMeteringCron) ctx.waitUntil(sweepDueDeliveries(env));
    ctx.waitUntil(meterFromCron(env, controller.cron));
    ctx.waitUntil(recordingCron(env, controller.cron === dailyMeteringCron));
  },
} satisfies ExportedHandler<Env>;
