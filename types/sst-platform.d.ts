/**
 * The subset of SST's platform globals that sst.config.ts uses. SST generates the full types into
 * .sst/platform/ with `sst install`, which downloads providers and can't run offline; these declarations
 * keep the repo-wide `tsc --noEmit` honest about the config in the meantime.
 */
declare global {
  interface SstAppInput {
    stage: string;
  }
  interface SstAppConfig {
    name: string;
    home: "aws" | "cloudflare" | "local";
    removal?: "remove" | "retain" | "retain-all";
  }
  function $config(config: { app(input?: SstAppInput): SstAppConfig; run(): Promise<Record<string, unknown> | void> }): unknown;
  namespace sst.aws {
    class Bucket {
      constructor(name: string, args?: { access?: "public" | "cloudfront"; cors?: boolean });
      readonly name: string;
      readonly arn: string;
    }
  }
}
export {};
