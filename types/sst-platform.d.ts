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

  /** Pulumi's eventual value; sst.config.ts only passes these on. */
  interface SstOutput<T> {
    apply<U>(fn: (value: T) => U): SstOutput<U>;
  }
  type SstInput<T> = T | SstOutput<T>;
  function $interpolate(literals: TemplateStringsArray, ...values: SstInput<unknown>[]): SstOutput<string>;
  function $jsonStringify(value: unknown): SstOutput<string>;
  const $app: { name: string; stage: string };
  namespace $util.asset {
    class FileArchive {
      constructor(path: string);
    }
  }

  namespace sst {
    class Secret {
      constructor(name: string, placeholder?: string);
      readonly value: SstOutput<string>;
    }
  }
  namespace sst.aws {
    class Bucket {
      constructor(name: string, args?: { access?: "public" | "cloudfront"; cors?: boolean });
      readonly name: SstOutput<string>;
      readonly arn: SstOutput<string>;
    }
    interface FunctionArgs {
      /** `{path}/{file}.{export}` */
      handler: string;
      runtime?: "nodejs20.x" | "nodejs22.x" | "nodejs24.x";
      architecture?: "x86_64" | "arm64";
      /** e.g. "1024 MB" */
      memory?: `${number} MB`;
      /** e.g. "60 seconds" */
      timeout?: `${number} seconds` | `${number} minutes`;
      link?: unknown[];
      environment?: Record<string, SstInput<string>>;
      /** Ephemeral storage (/tmp), e.g. "10240 MB". */
      storage?: `${number} MB`;
      /** Layer ARNs. */
      layers?: SstInput<string>[];
    }
    // biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its Lambda component sst.aws.Function.
    class Function {
      constructor(name: string, args: FunctionArgs);
      readonly name: SstOutput<string>;
      readonly arn: SstOutput<string>;
      readonly nodes: { role: { name: SstOutput<string> } };
    }
  }

  /** The Pulumi AWS provider, as SST exposes it. */
  namespace aws {
    function getRegionOutput(): { name: SstOutput<string> };
  }
  namespace aws.lambda {
    class LayerVersion {
      constructor(
        name: string,
        args: {
          layerName: SstInput<string>;
          code: $util.asset.FileArchive;
          compatibleArchitectures?: string[];
          compatibleRuntimes?: string[];
        },
      );
      readonly arn: SstOutput<string>;
    }
    class FunctionEventInvokeConfig {
      constructor(name: string, args: { functionName: SstInput<string>; maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number });
    }
  }
  namespace aws.iam {
    class RolePolicy {
      constructor(name: string, args: { role: SstInput<string>; policy: SstInput<string> });
    }
    class User {
      constructor(name: string, args?: { path?: string });
      readonly name: SstOutput<string>;
      readonly arn: SstOutput<string>;
    }
    class UserPolicy {
      constructor(name: string, args: { user: SstInput<string>; policy: SstInput<string> });
    }
  }
}
export {};
