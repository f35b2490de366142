/**
 * The import rules the build enforces (`npm run lint:imports`, part of `npm test` and CI). Layers, lowest first:
 *   protocol/                      imports nothing of ours
 *   schema/                        protocol
 *   media-fleet/ (pure)            protocol, itself
 *   media-fleet/livekit/           + livekit-server-sdk (the only place it may be imported)
 *   media-fleet/recorder-client/   + jose and fetch: the HTTP shell over the track recorders' control API (the
 *                                  recorder is a separate Go process, so its client is a runtime shell like livekit/)
 *   workers/meeting-room/core/     protocol, pure media-fleet, itself: no runtime, no I/O
 *   workers/webhooks/core/         protocol, itself: no runtime, no I/O
 *   workers/analytics/core/        protocol, itself: no runtime, no I/O
 *   workers/identity/core/         protocol, itself: no runtime, no I/O
 *   workers/calendar/core/         protocol, itself: no runtime, no I/O (iCalendar text with ical-generator)
 *   workers/ (shells, API)         everything above
 *   functions/analytics-ingest/    protocol, itself: pure but for handler.ts and its Postgres and S3 shells
 *   functions/recording-compositor/ protocol, itself: pure (manifest → timeline → layout → segment plan → ffmpeg argv),
 *                                  but for handler.ts and shell/ (S3, Postgres, Lambda Invoke, ffmpeg processes, the report)
 *   functions/                     protocol, schema, pure media-fleet, itself; a function's folder not another's
 *   web/                           protocol, itself
 * and no cycles anywhere. docs/architecture.md draws the same picture.
 */
const runtimePackages =
  "^(cloudflare:|node:|@aws-sdk/|livekit-server-sdk|@livekit/|drizzle-orm|@neondatabase/|@upstash/|ioredis|pg$|hono|@hono/|jose|oauth4webapi|ws$)";
const pure =
  "^(protocol|workers/meeting-room/core|workers/webhooks/core|workers/analytics/core|workers/identity/core|workers/calendar/core)/|^media-fleet/(?!livekit/|recorder-client/)|^functions/analytics-ingest/(?!(handler|postgres-store|s3-object-writer)\\.ts$)|^functions/recording-compositor/(?!handler\\.ts$|shell/)";

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle makes two modules one; break it with a third.",
      from: {},
      to: { circular: true },
    },
    {
      name: "protocol-imports-nothing-of-ours",
      severity: "error",
      from: { path: "^protocol/" },
      to: { path: "^(workers|media-fleet|schema|functions|web|scripts|bench|test)/" },
    },
    {
      name: "schema-only-protocol",
      severity: "error",
      from: { path: "^schema/" },
      to: { path: "^(workers|media-fleet|functions|web|scripts|bench|test)/" },
    },
    {
      name: "media-fleet-never-imports-workers",
      severity: "error",
      from: { path: "^media-fleet/" },
      to: { path: "^(workers|functions|web|scripts|bench|test|schema)/" },
    },
    {
      name: "pure-media-fleet-stays-off-the-sdk",
      severity: "error",
      comment: "Only media-fleet/livekit/ talks to LiveKit; placement, autoscaling and failover are pure.",
      from: { path: "^media-fleet/(?!livekit/)", pathNot: "\\.test\\.ts$" },
      to: { path: "^media-fleet/livekit/" },
    },
    {
      name: "room-core-is-pure",
      severity: "error",
      comment: "The room's core is the pure reducer: shells call it, never the other way round.",
      from: { path: "^workers/meeting-room/core/" },
      to: { path: "^(workers/(?!meeting-room/core/)|(functions|web|scripts|schema)/)" },
    },
    {
      name: "webhook-core-is-pure",
      severity: "error",
      comment: "The webhook core decides (schedule, settlement, target policy, lanes, dispatch order); its shells do the I/O.",
      from: { path: "^workers/webhooks/core/" },
      to: { path: "^(workers/(?!webhooks/core/)|(functions|web|scripts|schema|media-fleet)/)" },
    },
    {
      name: "analytics-core-is-pure",
      severity: "error",
      comment: "The analytics core is the metric arithmetic and range rules; its repository and routes do the I/O.",
      from: { path: "^workers/analytics/core/" },
      to: { path: "^(workers/(?!analytics/core/)|(functions|web|scripts|schema|media-fleet)/)" },
    },
    {
      name: "analytics-ingest-core-is-pure",
      severity: "error",
      comment:
        "The ingestion function decides (validation, rows, rollups, keys, Parquet layout) in pure modules; handler.ts and its Postgres and S3 shells do the I/O.",
      from: {
        path: "^functions/analytics-ingest/",
        pathNot: "^functions/analytics-ingest/(handler|postgres-store|s3-object-writer)\\.ts$|\\.test\\.ts$",
      },
      to: {
        path: "^functions/analytics-ingest/(handler|postgres-store|s3-object-writer)\\.ts$|^(workers|web|scripts|schema|media-fleet|functions/(?!analytics-ingest/))/",
      },
    },
    {
      name: "pure-modules-import-no-runtime",
      severity: "error",
      comment: "Pure modules take their clients as parameters: no Cloudflare, AWS, LiveKit, database or HTTP library.",
      from: { path: pure, pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["npm", "npm-dev", "core", "unknown", "undetermined"], path: runtimePackages },
    },
    {
      name: "web-only-protocol",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^(workers|media-fleet|schema|functions|scripts|bench|test)/" },
    },
    {
      name: "functions-stay-off-the-edge",
      severity: "error",
      from: { path: "^functions/" },
      to: { path: "^(workers|web|scripts|bench|test)/|^media-fleet/livekit/" },
    },
    {
      name: "functions-are-bundled-apart",
      severity: "error",
      comment: "Each Lambda is its own bundle: code functions share lives in functions/ (or protocol/) and uses no function's folder.",
      // $1 is the importer's folder; for a file of functions/ itself it is the file name, so every folder is refused.
      from: { path: "^functions/([^/]+)" },
      to: { path: "^functions/[^/]+/", pathNot: "^functions/$1/" },
    },
    {
      name: "handlers-are-entry-points",
      severity: "error",
      comment: "A handler connects as it loads (database pool, clients): only the Lambda runtime loads it, and its own tests.",
      from: { pathNot: "\\.test\\.ts$" },
      to: { path: "^functions/[^/]+/handler\\.ts$" },
    },
    {
      name: "product-never-imports-tests-or-tools",
      severity: "error",
      from: { path: "^(protocol|schema|media-fleet|workers|functions|web)/", pathNot: "\\.(test|case)\\.ts$" },
      to: { path: "^(test|bench|scripts)/" },
    },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true, pathNot: "^cloudflare:" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.cache|\\.data|\\.wrangler|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    moduleSystems: ["es6", "cjs"],
  },
};
