/**
 * SST (v3) app for the AWS side: the recording compositor Lambda with the recordings bucket and its ffmpeg layer, and
 * the analytics ingestion Lambda with its bucket; each with the IAM user the Worker invokes it as. `sst deploy --stage <name>`. Each function's handler, memory and timeout come
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
    const { analyticsIngest, lambdaArchitecture, lambdaRuntime, recordingCompositor, sstHandler } = await import(
      "./functions/function-settings.ts"
    );
    const { recordingReportPath } = await import("./protocol/recording-composition.ts");
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

    // ffmpeg and ffprobe for the compositor: a static arm64 build (libx264, libvpx, libopus; e.g. John Van Sickle's
    // release builds) zipped as bin/ffmpeg and bin/ffprobe, which Lambda mounts under /opt. The zip is not in the
    // repository (80 MB); `FFMPEG_LAYER_ZIP=… sst deploy` points at it.
    const ffmpeg = new aws.lambda.LayerVersion("Ffmpeg", {
      layerName: $interpolate`${$app.name}-${$app.stage}-ffmpeg`,
      code: new $util.asset.FileArchive(process.env.FFMPEG_LAYER_ZIP ?? ".cache/ffmpeg-layer-arm64.zip"),
      compatibleArchitectures: [lambdaArchitecture],
      compatibleRuntimes: [lambdaRuntime],
    });
    // The API's base URL (the compositor posts its report there) and the secret the report's token is signed with,
    // the Worker's RECORDING_REPORT_SECRET too: `sst secret set RecordingReportSecret …`.
    const apiBaseUrl = new sst.Secret("ApiBaseUrl");
    const reportSecret = new sst.Secret("RecordingReportSecret");

    const compositor = new sst.aws.Function(recordingCompositor.resource, {
      handler: sstHandler(recordingCompositor),
      runtime: lambdaRuntime,
      architecture: lambdaArchitecture,
      memory: `${recordingCompositor.memoryMb} MB`,
      timeout: `${recordingCompositor.timeoutSeconds} seconds`,
      // A segment's inputs and five outputs, and at assembly the WebM (the MP4 streams to S3) (10 GB: Lambda's most).
      storage: "10240 MB",
      layers: [ffmpeg.arn],
      link: [recordings],
      environment: {
        DATABASE_URL: databaseUrl.value,
        RECORDING_BUCKET: recordings.name,
        S3_REGION: region,
        RECORDING_REPORT_URL: $interpolate`${apiBaseUrl.value}${recordingReportPath}`,
        RECORDING_REPORT_SECRET: reportSecret.value,
        FFMPEG_PATH: "/opt/bin/ffmpeg",
        FFPROBE_PATH: "/opt/bin/ffprobe",
        // Segments of one recording at once (the account's concurrency is shared with every other recording).
        SEGMENT_CONCURRENCY: "100",
      },
    });
    // Compose invokes the same function once per segment (RequestResponse): its role may invoke itself, nothing else.
    new aws.iam.RolePolicy("RecordingCompositorInvokesItself", {
      role: compositor.nodes.role.name,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: compositor.arn }],
      }),
    });
    // The API invokes compose asynchronously (InvocationType Event). Lambda retries a compose that crashed or timed
    // out twice; a retry skips the segments already done. Failures the compositor handles are reported, not retried.
    new aws.lambda.FunctionEventInvokeConfig("RecordingCompositorAsync", {
      functionName: compositor.name,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
    });
    const compositorInvoker = new aws.iam.User("RecordingCompositorInvoker", { path: "/edge-meetings/" });
    new aws.iam.UserPolicy("RecordingCompositorInvokeOnly", {
      user: compositorInvoker.name,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: compositor.arn }],
      }),
    });

    return {
      recordingsBucket: recordings.name,
      recordingCompositorName: compositor.name,
      recordingCompositorInvoker: compositorInvoker.name,
      // The Worker's RECORDING_COMPOSE_URL.
      recordingCompositorUrl: $interpolate`https://lambda.${region}.amazonaws.com/2015-03-31/functions/${compositor.name}/invocations`,
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
