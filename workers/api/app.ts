import { except } from "hono/combine";
import { createBaseApp } from "./base-app.ts";
import { requireApiKey } from "./middleware/api-key-auth.ts";
import { limitBodySize, requireJsonBody } from "./middleware/body-size.ts";
import { withDatabase } from "./middleware/database.ts";
import { registerWebhookDocs } from "./webhook-docs.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { connectRoutes } from "./routes/connect.ts";
import { livekitWebhookRoutes } from "./routes/livekit-webhook.ts";
import { healthRoutes } from "./routes/health.ts";
import { joinTokenRoutes } from "./routes/join-tokens.ts";
import { jwksRoutes } from "./routes/jwks.ts";
import { meetingRoutes } from "./routes/meetings.ts";
import { usageRoutes } from "./routes/usage.ts";
import { usageExportRoutes } from "./routes/usage-export.ts";
import { usageReconcileRoutes } from "./routes/usage-reconcile.ts";
import { webhookDeliveryRoutes } from "./routes/webhook-deliveries.ts";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.ts";
import { recordingRoutes } from "./routes/recordings.ts";
import { recordingReportRoutes } from "./routes/recording-report.ts";
import { identityProviderRoutes } from "./routes/identity-provider.ts";
import { userRoutes } from "./routes/users.ts";
import { meRoutes } from "./routes/me.ts";
import { calendarRoutes } from "./routes/calendar.ts";
import { sessionRoutes, signInRoutes } from "./routes/auth.ts";
import { enforcePermissions } from "./middleware/permissions.ts";
import { hasSessionCookie, requireSession } from "./middleware/session-auth.ts";

/**
 * /v1 routes that authenticate another way (join token, a sign-in in progress, the compositor's or LiveKit's own
 * signature) or are public documents. Everything else needs a server API key or a signed-in person's session, and
 * a person's request is then judged by protocol/permissions.ts.
 */
const publicV1Path =
  /^\/v1\/(?:openapi\.json|meetings\/[^/]+\/connect|livekit\/webhook|recordings\/[^/]+\/playback\/[^/]+|auth\/[^/]+\/(?:login|callback|saml\/acs|saml\/metadata)|calendar\/[^/]+)$/;
/** Routes only a signed-in person has: an API key is not someone to sign out. */
const sessionOnlyPath = /^\/v1\/(?:auth\/logout(?:-everywhere)?|me|me\/avatar-upload|me\/calendar-feed)$/;

export function createApp() {
  const app = createBaseApp();

  app.use("/healthz", withDatabase);
  app.use("/v1/*", limitBodySize, requireJsonBody, withDatabase);
  // Internal callbacks (the compositor's report) authenticate with their own token, checked by the route.
  app.use("/internal/*", limitBodySize, requireJsonBody);
  app.use(
    "/v1/*",
    except(
      (c) => publicV1Path.test(c.req.path),
      (c, next) => (sessionOnlyPath.test(c.req.path) || hasSessionCookie(c) ? requireSession(c, next) : requireApiKey(c, next)),
    ),
  );
  app.use(
    "/v1/*",
    except((c) => publicV1Path.test(c.req.path), enforcePermissions),
  );

  app.route("/", jwksRoutes);
  app.route("/", healthRoutes);
  app.route("/", meetingRoutes);
  app.route("/", joinTokenRoutes);
  app.route("/", connectRoutes);
  app.route("/", livekitWebhookRoutes);
  app.route("/", usageExportRoutes);
  app.route("/", usageReconcileRoutes);
  app.route("/", usageRoutes);
  app.route("/", webhookEndpointRoutes);
  app.route("/", webhookDeliveryRoutes);
  app.route("/", analyticsRoutes);
  app.route("/", recordingRoutes);
  app.route("/", recordingReportRoutes);
  app.route("/", identityProviderRoutes);
  app.route("/", signInRoutes);
  app.route("/", sessionRoutes);
  app.route("/", userRoutes);
  app.route("/", meRoutes);
  app.route("/", calendarRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "Tenant API key (`emk_…`), created with `npm run tenant:create`",
  });
  registerWebhookDocs(app);
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Edge Meetings API",
      version: "1.0.0",
      description:
        "Meetings, join tokens, the meeting-room WebSocket, usage, call-quality analytics, webhooks (endpoints, the delivery log, and every event under `webhooks`). Errors are application/problem+json.",
    },
  });
  return app;
}
