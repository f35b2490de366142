import { defineConfig } from "vitest/config";

const ignored = ["node_modules/**", ".cache/**", ".data/**", ".wrangler/**", "dist/**"];

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
          exclude: [...ignored, "test/disruptive/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests that take Postgres away or restart the Worker run alone, after everything else.
        extends: true,
        test: {
          name: "disruptive",
          include: ["test/disruptive/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
