/**
 * SST (v3) app for the AWS side: the recordings bucket, and the analytics ingestion Lambda with its bucket and the
 * IAM user the Worker invokes it as. `sst deploy --stage <name>`. Each function's handler, memory and timeout come
 * from functions/function-settings.ts, which the local runner (scripts/services/lambda.ts) reads too.
 */
export default $config({
  app(input) {
    return {
      name: "edge-meetings",
      home: "aws",
      // Production data outlives a mistaken `sst remove`; dev stages clean up after themselves.
      removal: input?.stage === "production" ? "retain" : "remove",
    };
  },
  async run() {
    // SST evaluates this file on its own: modules of the app are imported inside run(), not at the top.
    const { analyticsIngest, lambdaArchitecture, lambdaRuntime, sstHandler } = await import("./functions/function-settings.ts");
    const region = aws.getRegionOutput().name;

    const recordings = new sst.aws.Bucket("Recordings");
    const analytics = new sst.aws.Bucket("Analytics");
    // Neon's pooled connection string: `sst secret set DatabaseUrl postgres://… --stage <name>`.
    const databaseUrl = new sst.Secret("DatabaseUrl");

    const ingest = new sst.aws.Function(analyticsIngest.resource, {
      handler: sstHandler(analyticsIngest),
      runtime: lambdaRuntime,
      architecture: lambdaArchitecture,
      memory: `${analyticsIngest.memoryMb} MB`,
      timeout: `${analyticsIngest.timeoutSeconds} seconds`,
      // Grants the function's role the bucket; the names below are what functions/analytics-ingest/config.ts reads.
      link: [analytics],
      environment: {
        DATABASE_URL: databaseUrl.value,
        ANALYTICS_BUCKET: analytics.name,
        S3_REGION: region,
      },
    });

    // The Worker signs its Invoke calls (SigV4) as this user, which may do nothing else. Its access key is made
    // outside this app (`aws iam create-access-key --user-name <analyticsIngestInvoker>`) so the secret never sits
    // in state or outputs; it goes straight into the Worker's secrets (ANALYTICS_INGEST_ACCESS_KEY_ID / _SECRET_…).
    const invoker = new aws.iam.User("AnalyticsIngestInvoker", { path: "/edge-meetings/" });
    new aws.iam.UserPolicy("AnalyticsIngestInvokeOnly", {
      user: invoker.name,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: ingest.arn }],
      }),
    });

    return {
      recordingsBucket: recordings.name,
      analyticsBucket: analytics.name,
      analyticsIngestName: ingest.name,
      analyticsIngestArn: ingest.arn,
      analyticsIngestInvoker: invoker.name,
      // The Worker's ANALYTICS_INGEST_URL and ANALYTICS_INGEST_REGION.
      analyticsIngestUrl: $interpolate`https://lambda.${region}.amazonaws.com/2015-03-31/functions/${ingest.name}/invocations`,
      analyticsIngestRegion: region,
    };
  },
});
