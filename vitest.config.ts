import { defineConfig } from "vitest/config";

const ignored = ["node_modules/**", ".cache/**", ".data/**", ".wrangler/**", "dist/**"];
/** Lip sync through the real pipeline: the bot's clock and the recorder's must not share the cores with other suites. */
const alone = ["test/recording/recording-sync.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/plain-summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: the services and workerd need one of them.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "stack",
          include: ["**/*.test.ts"],
          exclude: [...ignored, "test/disruptive/**", ...alone],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests that take Postgres away or restart the Worker, and tests that measure timing, run alone, after
        // everything else.
        extends: true,
        test: {
          name: "disruptive",
          include: ["test/disruptive/**/*.test.ts", ...alone],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
