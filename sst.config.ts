/**
 * SST (v3) app for the AWS side. Today it declares the recordings bucket; the compositing and analytics
 * Lambdas in functions/ join it as they are built. `sst deploy --stage <name>`.
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
    const recordings = new sst.aws.Bucket("Recordings");
    return { recordingsBucket: recordings.name };
  },
});
